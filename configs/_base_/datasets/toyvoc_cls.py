# The embedded toy VOC (python tools/misc/make_toy_voc.py --out data/toyvoc):
# 96x96 images, 6 shape classes, labels from cls_labels.txt. Flips and 90°
# rotations are label-preserving for shapes.
dataset_type = 'VOCClsDataset'
data_root = 'data/toyvoc'
classes = ('disc', 'square', 'triangle', 'cross', 'ring', 'star')
meta_keys = ('sample_idx', 'img_path', 'img_id', 'seg_map_path', 'ori_shape',
             'img_shape', 'scale_factor', 'flip', 'flip_direction')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomRotFlip', rotate_prob=0.0, flip_prob=0.5),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.PackInputs', meta_keys=meta_keys),
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
        label_source='file',
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
        label_source='file',
        metainfo=dict(classes=classes),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [dict(type='mmpretrain.AveragePrecision')]
test_evaluator = val_evaluator
