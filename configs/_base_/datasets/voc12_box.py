# PASCAL VOC 2012 with bounding boxes (BANA stage 1, Oh et al., CVPR 2021,
# github.com/cvlab-yonsei/BANA). Train: trainaug (10,582 images; boxes
# from Annotations/<id>.xml,
# difficult and truncated boxes kept, coordinates as written); val: the
# 1,449 val images. The definite-background mask is rebuilt from the boxes
# (1 outside every box); to read the authors' BgMaskfromBoxes PNGs instead
# use LoadBoxBackgroundMask(mask_dir=data_root + '/BgMaskfromBoxes').
# Augmentation (official code, in this order, boxes and mask moved with
# the image):
# rescale by s ~ U[0.5, 1.5] (image bilinear, mask nearest, boxes x s);
# pad both sides by ceil(diff/2) (image: BANA's RGB mean (123, 117, 104) in
# mmcv's BGR order, mask: 0), random 321x321 crop, boxes clipped (a right /
# bottom edge beyond the crop becomes 322, the official convention;
# clip_mode='fixed' gives 321); flip 0.5; jitter 0.5/0.5/0.5 (no hue) in
# BANA's fixed order. Caffe normalisation is the model's data preprocessor.
dataset_type = 'VOCBoxDataset'
data_root = 'data/VOCdevkit/VOC2012'
crop_size = 321
meta_keys = ('sample_idx', 'img_path', 'img_id', 'ori_shape', 'img_shape',
             'scale_factor', 'flip', 'flip_direction')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadBoxBackgroundMask'),
    dict(type='BoxRandomRescale', ratio_range=(0.5, 1.5)),
    dict(
        type='BoxPadRandomCrop',
        crop_size=crop_size,
        img_pad_val=(104, 117, 123),
        mask_pad_val=0,
        clip_mode='official'),
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
    batch_size=20,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='trainaug',
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
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# image-level mAP and the box classification accuracy of BANA's supplement
val_evaluator = [
    dict(type='mmpretrain.AveragePrecision'),
    dict(type='BoxAccuracy')
]
test_evaluator = val_evaluator
