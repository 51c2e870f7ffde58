"""Stages 3-4: refine the CAMs into pseudo labels and score them.

``python tools/make_pseudo_labels.py CONFIG [--stage refine] [--work-dir DIR]``

The same as ``python tools/run_stage.py CONFIG refine``: the stage, its
settings (``stages.refine`` of the config) and its output folder
(``<work-dir>/refine/``) are those of ``tools/run_pipeline.py``.
"""
from run_stage import main

if __name__ == '__main__':
    main(stage='refine', description=__doc__.splitlines()[0])
