# The demo pipeline (configs/baseline/gap_r38tiny_toy.py) with one more
# stage: pseudo-label pixels whose CAM evidence is ambiguous are ignored
# before DeepLab trains on them. Run from the repository root:
#   python tools/run_pipeline.py \
#       projects/uncertain_pixel_filter/configs/gap_r38tiny_toy_filtered.py
_base_ = ['../../../configs/baseline/gap_r38tiny_toy.py']
custom_imports = dict(
    imports=['projects.uncertain_pixel_filter.uncertain_pixel_filter'],
    allow_failed_imports=False)
stages = dict(
    filter=dict(type='UncertainPixelFilterStage', margin=0.1),
    segment=dict(labels='filter'))
