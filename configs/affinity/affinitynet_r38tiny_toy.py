# AffinityNet on the embedded toy VOC (python tools/misc/make_toy_voc.py --out
# data/toyvoc; 96 x 96 images, 6 classes): the 1/16-width ResNet-38d (conv4 /
# conv5 / conv6 = 32 / 64 / 256 channels) initialised from the toy-pretrained
# trunk (the toy stand-in for ImageNet), a narrow head (16 / 32 / 64 -> 112),
# psa's augmentation and labels at crop 96, i.e. a 12 x 12 grid on which
# radius 5 fits (AEFT's radius rule, so that the walk also runs on images
# below 72 pixels a side); batch 8, 300 iterations, lr 0.01 (head 0.1), no
# validation, one checkpoint at the end. The pipeline's affinity-label stage
# fills in label_dir; a pipeline may start the trunk from its classifier
# (AffinityTrainStage(init_from='train')).
_base_ = [
    './affinitynet_r38_psa_voc.py',
    '../_base_/models/r38tiny_pretrained_init.py'
]
data_root = 'data/toyvoc'
classes = ('disc', 'square', 'triangle', 'cross', 'ring', 'star')
crop_size = 96
max_iters = 300
model = dict(
    radius_rule='aeft',
    backbone=dict(width_mult=0.0625, init_cfg={{_base_.toypre_init}}),
    head=dict(
        in_channels=(32, 64, 256), channels=(16, 32, 64), out_channels=112))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadCRFScorePair'),
    dict(
        type='mmpretrain.ColorJitter',
        brightness=0.3,
        contrast=0.3,
        saturation=0.3,
        hue=0.1),
    dict(type='PSARandomCrop', crop_size=crop_size, img_pad_val=0),
    dict(type='JointRandomFlip', prob=0.5),
    dict(type='CRFAffinityLabel', stride=8, radius=5, radius_rule='aeft'),
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
optim_wrapper = dict(optimizer=dict(lr=0.01))
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
# Effective batch: 8 = 1 GPU × 8 (the toy: one CPU process). The learning rate
# is the recipe's at any GPU count.
auto_scale_lr = dict(enable=False, base_batch_size=8)
