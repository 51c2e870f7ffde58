# IRN on the embedded toy VOC (python tools/misc/make_toy_voc.py --out
# data/toyvoc; 96 x 96 images, 6 classes): a 1/8-width ResNet-50
# (base_channels 8, trained from scratch: frozen=False, no ImageNet weights)
# with narrow IRN branches; the augmentation of irn_r50_irn_voc.py at crop
# 96, i.e. a 24 x 24 label grid; 200 iterations of batch 8 (~30 s on 2 CPU
# cores).
# Radius: 10 (IRN's) fits the grid (PathIndex(10, (24, 24)): 152
# directions x 90 sources; 12 is the largest that fits, with 26 sources),
# but at 10 cells most background pairs jump over a whole toy shape and the
# edge branch barely learns. Measured after 200 iterations (AUC of the edge
# map separating label-boundary from interior cells, 40 val images):
# radius 10: 0.59 (SGD as VOC) / 0.66 (AdamW); radius 5: 0.74 (SGD as VOC)
# / 0.80 (AdamW). The toy uses radius 5 (the walk's radius) and AdamW.
_base_ = ['./irn_r50_irn_voc.py']
data_root = 'data/toyvoc'
classes = ('disc', 'square', 'triangle', 'cross', 'ring', 'star')
crop_size = 96
radius = 5
num_classes = 7  # background + 6 shapes
model = dict(
    backbone=dict(
        base_channels=8,
        frozen=False,
        init_cfg=dict(
            _delete_=True,
            type='Kaiming',
            layer='Conv2d',
            mode='fan_out',
            nonlinearity='relu')),
    head=dict(
        in_channels=(8, 32, 64, 128, 256),
        edge_channels=16,
        edge_groups=4,
        dp_channels=(16, 32, 64),
        dp_groups=(4, 8, 8)),
    loss=dict(radius=radius, crop_size=(crop_size // 4, crop_size // 4)),
    # toy images are 96 x 96: no padding to 512 at inference
    pad_to=None)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadIRLabel', num_classes=6),
    dict(type='IRNRandomRescale', scale_range=(0.5, 1.5)),
    dict(type='IRNRandomFlip', prob=0.5),
    dict(type='IRNRandomCrop', crop_size=crop_size),
    dict(type='NearestDownsample', factor=4),
    dict(type='PathPairLabels', radius=radius, num_classes=num_classes),
    dict(type='PackAffinityInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        split='train',
        metainfo=dict(classes=classes),
        pipeline=train_pipeline))
max_iters = 750
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=3e-3, weight_decay=1e-4))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1),
    logger=dict(interval=20))
# the mean shift on top-left 96 x 96 crops of the toy train images, in
# batches of 8
custom_hooks = [
    dict(type='FiniteLossCheckHook'),
    dict(
        type='IRNMeanShiftHook',
        batch_size=8,
        crop=crop_size,
        num_workers=1),
]
# Effective batch: 8 = 1 GPU × 8 (the toy: one CPU process). The learning rate
# is the recipe's at any GPU count.
auto_scale_lr = dict(enable=False, base_batch_size=8)
