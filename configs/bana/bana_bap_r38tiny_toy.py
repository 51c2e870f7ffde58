# BANA stage 1 on the embedded toy VOC (python tools/misc/make_toy_voc.py
# --out data/toyvoc): the toy trunk of configs/baseline/gap_r38tiny_toy.py
# (ResNet-38d at 1/16 width, 256 channels, output stride 8, from scratch)
# with background-aware pooling and a bias-free 7-way (background first)
# classifier trained on the toy boxes (data/toyvoc/Annotations/*.xml).
# BANA's box augmentation scaled to the 96x96 images (scale 0.5-1.5, pad /
# crop 96, flip, jitter); grid 4 on the 12x12 map (3x3 cells), 2x2 bins.
# Same optimiser and schedule as the GAP toy baseline: 1,000 iterations at
# batch 32 (AdamW 3e-3, warm-up + cosine).
# The stages section runs the three stages:
#   python tools/run_pipeline.py configs/bana/bana_bap_r38tiny_toy.py
# train -> cams (the classifier's image-level CAMs, for comparison) ->
# pseudo (BANA stage 2: Y_crf and Y_ret from the boxes, official settings,
# 2 worker processes) -> segment (bana_deeplabv2_r18_toy.py, NAL).
_base_ = [
    '../_base_/models/cam_resnet38d.py',
    '../_base_/schedules/toy_adamw_cosine_1k.py',
    '../_base_/default_runtime.py'
]
model = dict(
    type='BANAClassifier',
    data_preprocessor=dict(num_classes=6),
    backbone=dict(
        width_mult=0.0625,
        frozen_stages=(),
        norm_eval=False,
        frozen_bn_affine=False,
        # no ImageNet weights for the toy: from scratch, Kaiming-normal convs
        init_cfg=dict(
            _delete_=True,
            type='Kaiming',
            layer='Conv2d',
            mode='fan_out',
            nonlinearity='relu')),
    head=dict(
        _delete_=True,
        type='BAPHead',
        num_classes=6,
        in_channels=256,
        grid_size=4,
        roi_size=2,
        valid_bg_ratio=0.125),
    cam_cfg=dict(scales=(1.0, ), flip=True, resize_mode='bilinear'))
# data: VOCBoxDataset on the toy VOC, boxes from the XMLs
dataset_type = 'VOCBoxDataset'
data_root = 'data/toyvoc'
classes = ('disc', 'square', 'triangle', 'cross', 'ring', 'star')
crop_size = 96
meta_keys = ('sample_idx', 'img_path', 'img_id', 'ori_shape', 'img_shape',
             'scale_factor', 'flip', 'flip_direction')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadBoxBackgroundMask'),
    dict(type='BoxRandomRescale', ratio_range=(0.5, 1.5)),
    dict(
        type='BoxPadRandomCrop',
        crop_size=crop_size,
        img_pad_val=(104, 117, 123)),  # ~ the RGB mean, zero once normalised
    dict(type='BoxRandomFlip', prob=0.5),
    dict(
        type='FixedOrderColorJitter',
        brightness=0.5,
        contrast=0.5,
        saturation=0.5),
    dict(type='PackBoxInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadBoxBackgroundMask'),
    dict(type='PackBoxInputs', meta_keys=meta_keys),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        metainfo=dict(classes=classes),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        metainfo=dict(classes=classes),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# image-level mAP and the box classification accuracy of BANA's supplement
val_evaluator = [
    dict(type='mmpretrain.AveragePrecision'),
    dict(type='BoxAccuracy')
]
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(interval=500))
stages = dict(
    train=dict(type='TrainStage'),
    cams=dict(
        type='CAMStage',
        split='train',
        batch_size=32,
        metric=dict(fixed_bg_threshold=0.5, boundary_f=True)),
    box_labels=dict(
        type='BoxLabelStage',
        split='train',
        nproc=2,
        generator=dict(
            type='BoxPseudoLabelGenerator', bg_threshold=0.99,
            grid_size=1)),
    segment=dict(
        type='SegmentStage',
        labels='box_labels',
        config='configs/bana/bana_deeplabv2_r18_toy.py',
        tta=True,
        crf_iters=10))
# Effective batch: 32 = 1 GPU × 32 (the toy: one CPU process). The learning
# rate is the recipe's at any GPU count.
auto_scale_lr = dict(enable=False, base_batch_size=32)
