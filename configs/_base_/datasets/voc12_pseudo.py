# Stage 5 on PASCAL VOC 2012: train on train_aug (10,582 ids) with pseudo
# labels <pseudo_label_dir>/<id>.png, validate on val (1,449) against the
# ground truth. Needs data/VOCdevkit/VOC2012 with SegmentationClass and
# ImageSets/Segmentation/trainaug.txt (tools/dataset_converters/voc_aug.py).
# Train augmentation of DeepLab-V2 (arvijj/hfpl, cvlab-yonsei/BANA): random
# rescale by U[0.5, 1.5] (VOC images have a 500-pixel long side, so a
# (500, 500) scale with keep_ratio rescales the original image), random
# 321x321 crop (the data preprocessor pads with the mean / 255), flip.
data_root = 'data/VOCdevkit/VOC2012'
# Pseudo labels from stages 2-4; a relative folder would be joined to
# data_root, so it is anchored at the repository root.
pseudo_label_dir = '{{ fileDirname }}/../../../work_dirs/pseudo_labels/pseudo'
crop_size = (321, 321)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(500, 500),
        ratio_range=(0.5, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
# Single scale at the original size, as DeepLab evaluates.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
# Multi-scale + flip test (SEAM / AEFT DeepLab recipe);
# used by `tools/test.py --tta` with the model base's tta_model.
img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
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
    batch_size=10,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='PseudoLabelSegDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/trainaug.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo_label_dir),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='PascalVOCDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/val.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# mIoU (mmseg) and the contour F / J&F of hfpl (github.com/arvijj/hfpl)
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='BoundaryFScore')
]
test_evaluator = val_evaluator
