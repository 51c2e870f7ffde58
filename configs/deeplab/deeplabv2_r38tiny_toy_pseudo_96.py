# The toy DeepLab-V2 of deeplabv2_r38tiny_toy_pseudo.py at the toy's own
# 96x96 (no input upsampling, a 12x12 output grid): the stage-5 recipe of the
# toy studies measured before 2026-12-03 (configs/affinity/README.md,
# configs/acr/README.md), which reproduce with `--cfg-options
# stages.segment.config=configs/deeplab/deeplabv2_r38tiny_toy_pseudo_96.py`.
# On seed 0's DenseCRF labels of `make demo` (pseudo mIoU 77.48): val mIoU
# 59.82 single scale, 59.65 multi-scale + flip (2x input: 77.76 / 78.62).
_base_ = ['./deeplabv2_r38tiny_toy_pseudo.py']
scale = 1.0
crop_size = (96, 96)
model = dict(data_preprocessor=dict(size=crop_size))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
img_ratios = [0.75, 1.0, 1.25]
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            [dict(type='Resize', scale_factor=r, keep_ratio=True)
             for r in img_ratios],
            [
                dict(type='RandomFlip', prob=0.0, direction='horizontal'),
                dict(type='RandomFlip', prob=1.0, direction='horizontal')
            ],
            [dict(type='LoadAnnotations')],
            [dict(type='PackSegInputs')],
        ])
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
