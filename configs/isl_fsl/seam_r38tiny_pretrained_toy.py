# SEAM on the embedded toy VOC: the toy-pretrained GAP baseline (same data,
# 1,000 iterations, AdamW, 1/16-width ResNet-38d initialised from
# pretrained/r38tiny_toypre.pth, the toy stand-in for ImageNet weights)
# turned into SEAM's two-view network (YudeWang/SEAM): a 7-channel
# head (background + 6 shapes), a PCM at 1/8 width, the x0.3 second view
# and SEAM's loss terms; CAMs from the PCM output with min-max
# normalisation. Generate the data and the toy trunk first (see
# configs/_base_/models/r38tiny_pretrained_init.py); then
# python tools/run_pipeline.py configs/isl_fsl/seam_r38tiny_pretrained_toy.py
_base_ = ['../baseline/gap_r38tiny_pretrained_toy.py']
model = dict(
    type='SEAMClassifier',
    backbone=dict(out_indices=('b5_in', 'b6_in', 'final')),
    head=dict(num_classes=7, in_channels=256),
    pcm=dict(
        type='PixelCorrelationModule',
        in_channels=(32, 64),  # b5_in, b6_in at width 1/16
        feat_channels=(8, 16),
        embed_channels=24),
    scale_factor=0.3,
    view_cls_weights=(0.5, 0.5),
    min_pool_weight=0.5,
    er_weight=1.0,
    ecr_weight=1.0,
    ecr_top_ratio=0.2,
    cam_source='cam_rv',
    cam_cfg=dict(normalize='minmax'))
