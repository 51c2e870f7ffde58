"""Stage 2: write the CAMs of the config's CAM stage and score them.

``python tools/infer_cams.py CONFIG [--stage cams] [--work-dir DIR]``

The same as ``python tools/run_stage.py CONFIG cams``: the stage, its
settings (``stages.cams`` of the config) and its output folder
(``<work-dir>/cams/``) are those of ``tools/run_pipeline.py``.
"""
from run_stage import main

if __name__ == '__main__':
    main(stage='cams', description=__doc__.splitlines()[0])
