# Stage 5 on the embedded toy VOC (python tools/misc/make_toy_voc.py --out
# data/toyvoc): 96x96 images, background + 6 shape classes. Train on
# train.txt with pseudo labels <pseudo_label_dir>/<id>.png, validate on
# val.txt against the ground truth SegmentationClass (mmseg's
# PascalVOCDataset is fixed to VOC's 21 classes, so both splits use
# PseudoLabelSegDataset with the toy classes).
data_root = 'data/toyvoc'
# Default: the pseudo labels of the toy CAM baseline (stages 2-4 of
# configs/baseline/gap_r38tiny_toy.py); anchored at the repository root
# because a relative folder would be joined to data_root.
pseudo_label_dir = ('{{ fileDirname }}/../../../work_dirs/'
                    'gap_r38tiny_toy/pseudo')
metainfo = dict(
    classes=('background', 'disc', 'square', 'triangle', 'cross', 'ring',
             'star'),
    palette=[[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0],
             [0, 0, 128], [128, 0, 128], [0, 128, 128]])  # VOC colours
# Random 64x64 crops and flips; no rescaling (the shapes already vary in
# size, and with a few minutes of training scale jitter cost 5 mIoU points).
crop_size = (64, 64)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
# Multi-scale + flip for `tools/test.py --tta`. Narrower than VOC's
# (0.5 ... 1.75): the toy network sees a single scale for about 2 minutes,
# and VOC's range costs it 8 points (48.8 -> 40.5 mIoU, GT-trained toy
# DeepLab-V2; (0.75, 1.0, 1.25) gave 48.3, flip alone 50.0).
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
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='PseudoLabelSegDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo_label_dir),
        metainfo=metainfo,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,  # all toy images have one size
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='PseudoLabelSegDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/val.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        metainfo=metainfo,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# mIoU (mmseg) and the contour F / J&F of hfpl (github.com/arvijj/hfpl)
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='BoundaryFScore')
]
test_evaluator = val_evaluator
