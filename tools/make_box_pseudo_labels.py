"""BANA stage 2: pseudo labels Y_crf and Y_ret from boxes, scored.

``python tools/make_box_pseudo_labels.py CONFIG [--work-dir DIR]``

The same as ``python tools/run_stage.py CONFIG box_labels``: the stage, its
settings (``stages.box_labels`` of the config) and its output folder
(``<work-dir>/box_labels/``) are those of ``tools/run_pipeline.py``.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import run_stage  # noqa: E402


def main(argv=None) -> dict:
    return run_stage.main(
        argv, stage='box_labels', description=__doc__.splitlines()[0])


if __name__ == '__main__':
    main()
