# PASCAL VOC 2012 image-level labels. Train: trainaug (10,582 images, labels
# from cls_labels.txt written by tools/dataset_converters/voc_aug.py); val:
# the 1,449 val images with labels from SegmentationClass. Augmentation as
# AEFT stage 1 (KAIST-vilab/AEFT train.py): long side uniform in [256, 512]
# (bicubic), flip, colour jitter (p 0.8), 320x320 crop padded with the mean.
dataset_type = 'VOCClsDataset'
data_root = 'data/VOCdevkit/VOC2012'
meta_keys = ('sample_idx', 'img_path', 'img_id', 'seg_map_path', 'ori_shape',
             'img_shape', 'scale_factor', 'flip', 'flip_direction')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResize',
        scale=(512, 512),
        ratio_range=(0.5, 1.0),
        keep_ratio=True,
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandomApply',
        prob=0.8,
        transforms=[
            dict(
                type='mmpretrain.ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1)
        ]),
    dict(
        type='mmpretrain.RandomCrop',
        crop_size=320,
        pad_if_needed=True,
        pad_val=(104, 116, 124)),  # BGR mean: zero after normalisation
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.PackInputs', meta_keys=meta_keys),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='trainaug',
        label_source='file',
        seg_map_dir='SegmentationClassAug',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        label_source='seg',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [dict(type='mmpretrain.AveragePrecision')]
test_evaluator = val_evaluator
