"""Stage 2: write the CAMs of the config's CAM stage and score them.

``python tools/infer_cams.py CONFIG [--stage cams] [--work-dir DIR]``

The same as ``python tools/run_stage.py CONFIG cams``: the stage, its
settings (``stages.cams`` of the config) and its output folder
(``<work-dir>/cams/``) are those of ``tools/run_pipeline.py``.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import run_stage  # noqa: E402


def main(argv=None) -> dict:
    return run_stage.main(
        argv, stage='cams', description=__doc__.splitlines()[0])


if __name__ == '__main__':
    main()
