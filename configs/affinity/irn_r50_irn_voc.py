# IRN (Ahn, Cho & Kwak, "Weakly Supervised Learning of Instance Segmentation
# with Inter-pixel Relations", CVPR 2019, arXiv:1904.05044; official code
# github.com/jiwoon-ahn/irn step/train_irn.py, voc12/dataloader.py) trained
# on the IR labels of VOC 2012 train_aug (aff_labels/ir_label/<id>.png,
# 0 = background, c + 1 = class, 255 = unsure), with the official settings:
# rescale U(0.5, 1.5) (bicubic image, nearest label), flip, 512 crop (image
# padded with the mean colour = 0 after normalisation, label with 255),
# label reduced to 128 x 128 (PIL nearest), pair labels on path pairs of
# radius 10; batch 32, 990 iterations (= 10,582 // 32 x 3 epochs), SGD
# lr 0.1 (displacement branch 1.0), weight decay 1e-4, poly 0.9.
# The pipeline's affinity-label stage fills in label_dir; standalone:
#   python tools/train.py configs/affinity/irn_r50_irn_voc.py \
#     --cfg-options train_dataloader.dataset.label_dir=<ir_label dir>
_base_ = ['../_base_/models/irn_r50.py', '../_base_/default_runtime.py']
data_root = 'data/VOCdevkit/VOC2012'
crop_size = 512
num_classes = 21  # pair-label validity: labels 0..20 (255 = unsure)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadIRLabel'),
    dict(type='IRNRandomRescale', scale_range=(0.5, 1.5)),
    dict(type='IRNRandomFlip', prob=0.5),
    dict(type='IRNRandomCrop', crop_size=crop_size),
    dict(type='NearestDownsample', factor=4),
    dict(type='PathPairLabels', radius=10, num_classes=num_classes),
    dict(type='PackAffinityInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='AffinityLabelDataset',
        data_root=data_root,
        split='trainaug',
        label_dir='',
        label_suffix='.png',
        pipeline=train_pipeline))
# IRN is not validated during training (the pseudo-label stage evaluates
# the walk); no val/test loop
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None
max_iters = 990
# Official quirk: PolyOptimizer(params, lr, weight_decay) hands the weight
# decay to SGD's third positional argument, momentum, so the effective
# momentum is 1e-4; momentum=0.9 is the clean setting.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=1e-4, weight_decay=1e-4),
    # the displacement branch trains at 10x (official lr 1.0); weight decay
    # on every trainable tensor, GroupNorm included
    paramwise_cfg=dict(custom_keys={'head.fc_dp': dict(lr_mult=10.0)}))
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
    logger=dict(interval=50))
# After the last iteration (before its checkpoint is saved) the
# displacement branch's mean shift is measured as the official code does:
# eval mode, VOC train (1,464 images; training uses train_aug) in order,
# batches of 32 (the last incomplete one dropped), the top-left 512 x 512
# crop of each image (padded with the mean colour)
custom_hooks = [
    dict(type='FiniteLossCheckHook'),
    dict(
        type='IRNMeanShiftHook',
        batch_size=32,
        crop=crop_size,
        dataset=dict(split='train'),
        num_workers=4),
]
# Effective batch: 32 = 1 GPU × 32 (official: one process with the whole
# batch). The learning rate is the recipe's at any GPU count.
auto_scale_lr = dict(enable=False, base_batch_size=32)
