"""BANA stage 2: pseudo labels Y_crf and Y_ret from boxes, scored.

``python tools/make_box_pseudo_labels.py CONFIG [--stage box_labels] [--work-dir DIR]``

The same as ``python tools/run_stage.py CONFIG box_labels``: the stage, its
settings (``stages.box_labels`` of the config) and its output folder
(``<work-dir>/box_labels/``) are those of ``tools/run_pipeline.py``.
"""
from run_stage import main

if __name__ == '__main__':
    main(stage='box_labels', description=__doc__.splitlines()[0])
