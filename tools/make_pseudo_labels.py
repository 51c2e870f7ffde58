"""Stages 3-4: refine the CAMs into pseudo labels and score them.

``python tools/make_pseudo_labels.py CONFIG [--stage refine] [--work-dir DIR]``

The same as ``python tools/run_stage.py CONFIG refine``: the stage, its
settings (``stages.refine`` of the config) and its output folder
(``<work-dir>/refine/``) are those of ``tools/run_pipeline.py``.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import run_stage  # noqa: E402


def main(argv=None) -> dict:
    return run_stage.main(
        argv, stage='refine', description=__doc__.splitlines()[0])


if __name__ == '__main__':
    main()
