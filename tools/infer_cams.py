"""Stage 2: write the CAMs of the config's CAM stage and score them.

``python tools/infer_cams.py CONFIG [--stage cams] [--work-dir DIR]
[--stride S] [--amp]``

The same as ``python tools/run_stage.py CONFIG cams``: the stage, its
settings (``stages.cams`` of the config) and its output folder
(``<work-dir>/cams/``) are those of ``tools/run_pipeline.py``. ``--stride``
and ``--amp`` set ``stages.<stage>.stride`` / ``.amp``: CAMs stored at
``ceil(H/S) x ceil(W/S)`` (readers upsample them to the image size), and
float16 autocast on CUDA (a warning and float32 on a CPU). Any other
option is that of ``tools/run_stage.py``.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import run_stage  # noqa: E402


def stage_options(argv=None) -> list:
    """``argv`` with ``--stride`` / ``--amp`` turned into ``--cfg-options
    stages.<stage>.stride=S stages.<stage>.amp=True``."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--stage', default='cams')
    parser.add_argument('--stride', type=int)
    parser.add_argument('--amp', action='store_true')
    args, rest = parser.parse_known_args(argv)
    options = []
    if args.stride is not None:
        options.append(f'stages.{args.stage}.stride={args.stride}')
    if args.amp:
        options.append(f'stages.{args.stage}.amp=True')
    rest += ['--stage', args.stage]
    return rest + (['--cfg-options', *options] if options else [])


def main(argv=None) -> dict:
    if argv is None:
        argv = sys.argv[1:]
    if {'-h', '--help'} & set(argv):
        print(__doc__)
    return run_stage.main(
        stage_options(argv), stage='cams',
        description=__doc__.splitlines()[0])


if __name__ == '__main__':
    main()
