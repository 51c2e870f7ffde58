# AffinityNet as the psa code trains it (Ahn & Kwak, "Learning Pixel-level
# Semantic Affinity with Image-level Supervision for Weakly Supervised
# Semantic Segmentation", CVPR 2018, arXiv:1803.10464; jiwoon-ahn/psa
# train_aff.py, voc12/data.py) on the CRF score pairs of VOC 2012 train_aug
# (aff_labels/crf_*/<id>.npz: keys, scores_lo, scores_hi). Per sample: colour
# jitter (0.3, 0.3, 0.3, 0.1), 448 crop into a black container (no rescale),
# flip, 8x8 mean pooling of the score maps, labels from the low / high maps,
# pair labels on psa's radius-5 pairs. Batch 8, 10,576 iterations
# (= 10,582 // 8 x 8 epochs, drop_last), SGD lr 0.1 (head 1.0), weight decay
# 5e-4, poly 0.9 to the last iteration; the final checkpoint is used.
# The pipeline's affinity-label stage fills in label_dir; standalone:
#   python tools/train.py configs/affinity/affinitynet_r38_psa_voc.py \
#     --cfg-options train_dataloader.dataset.label_dir=<crf score dir>
_base_ = [
    '../_base_/models/affinitynet_r38.py', '../_base_/default_runtime.py'
]
data_root = 'data/VOCdevkit/VOC2012'
crop_size = 448
max_iters = 10576
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadCRFScorePair'),
    # mmpretrain's ColorJitter is torchvision's (PIL enhancers, the four
    # operations in a random order, hue included), which psa applies to the
    # PIL image; the fixed-order BANA jitter has no hue
    dict(
        type='mmpretrain.ColorJitter',
        brightness=0.3,
        contrast=0.3,
        saturation=0.3,
        hue=0.1),
    dict(type='PSARandomCrop', crop_size=crop_size, img_pad_val=0),
    dict(type='JointRandomFlip', prob=0.5),
    # radius settings must equal the model's
    dict(type='CRFAffinityLabel', stride=8, radius=5, radius_rule='psa'),
    dict(type='PackAffinityInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='AffinityLabelDataset',
        data_root=data_root,
        split='trainaug',
        label_source='file',
        label_dir='',
        label_suffix='.npz',
        pipeline=train_pipeline))
# no validation during training: the pseudo-label stage evaluates the walk
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None
# Official quirk: PolyOptimizer(params, lr, weight_decay) hands the weight
# decay to SGD's third positional argument, momentum, so the effective
# momentum is 5e-4; momentum=0.9 is the clean setting. The head (f8_*, f9)
# trains at 10x; frozen layers and BN affine parameters get no update.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=5e-4, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.0)}))
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
# Effective batch: 8 = 1 GPU × 8 (official: one process with the whole batch).
# The learning rate is the recipe's at any GPU count.
auto_scale_lr = dict(enable=False, base_batch_size=8)
