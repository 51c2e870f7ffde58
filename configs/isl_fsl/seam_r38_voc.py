# SEAM (Wang et al., CVPR 2020) on PASCAL VOC 2012 trainaug, the CAM stage
# exactly as the ISL/FSL code runs it (arvijj/hfpl train_cam_voc.py,
# WACV 2024): ResNet-38d + 21-channel fc8 (background first,
# Dropout2d 0.5) + PCM, two views (448 crop and its x0.3 copy), batch 8,
# 8 epochs = (10582 // 8) * 8 = 10,576 iterations, SGD lr 0.01 poly(0.9),
# new layers (fc8, PCM) at 10x lr, seed 1. Momentum 5e-4: the official
# PolyOptimizer passes the weight decay into SGD's momentum slot; set
# 0.9 for the textbook optimiser. Needs data/VOCdevkit/VOC2012 with
# SegmentationClassAug (tools/dataset_converters/voc_aug.py) and
# pretrained/resnet38d_imagenet.pth
# (tools/model_converters/resnet38d_mxnet.py).
#   python tools/train.py configs/isl_fsl/seam_r38_voc.py
#   python tools/run_pipeline.py configs/isl_fsl/seam_r38_voc.py
_base_ = [
    '../_base_/models/cam_resnet38d.py', '../_base_/datasets/voc12_cls.py',
    '../_base_/default_runtime.py'
]
max_iters = 10576
model = dict(
    type='SEAMClassifier',
    # psa/SEAM trunk: Dropout2d 0.3 / 0.5 inside b6 / b7; PCM reads the
    # BN-ReLU inputs of b5 and b6 (PSA's conv4 / conv5)
    backbone=dict(
        dropout=(0.3, 0.5), out_indices=('b5_in', 'b6_in', 'final')),
    head=dict(num_classes=21, in_channels=4096, dropout=0.5),
    pcm=dict(
        type='PixelCorrelationModule',
        in_channels=(512, 1024),
        feat_channels=(64, 128),
        embed_channels=192),
    scale_factor=0.3,
    view_cls_weights=(0.5, 0.5),
    min_pool_weight=0.5,
    er_weight=1.0,
    ecr_weight=1.0,
    ecr_top_ratio=0.2,
    # inference: cam_rv, scales {0.5, 1, 1.5, 2} x flip (bicubic), summed, then
    # per-class min-max normalisation
    cam_source='cam_rv',
    cam_cfg=dict(
        scales=(1.0, 0.5, 1.5, 2.0),
        flip=True,
        resize_mode='bicubic',
        normalize='minmax'))
# Augmentation: long side uniform in [448, 768] (bicubic), flip,
# colour jitter 0.3/0.3/0.3/0.1 (always), 448 crop padded with the mean
# (zero after normalisation).
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResize',
        scale=(768, 768),
        ratio_range=(448 / 768, 1.0),
        keep_ratio=True,
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='mmpretrain.ColorJitter',
        brightness=0.3,
        contrast=0.3,
        saturation=0.3,
        hue=0.1),
    dict(
        type='mmpretrain.RandomCrop',
        crop_size=448,
        pad_if_needed=True,
        pad_val=(104, 116, 124)),  # BGR mean: zero after normalisation
    dict(type='mmpretrain.PackInputs'),
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
# no checkpoint selection in the official code (final weights only): score
# the CAMs once, at the end, on VOC train (1,464 masks) — J over background
# scores 0.00-0.59 and the contour F at SEAM's fixed 0.25
val_dataloader = dict(
    batch_size=1, dataset=dict(split='train', label_source='seg'))
test_dataloader = val_dataloader
val_evaluator = [
    dict(
        type='CAMMetric',
        bg_thresholds=[i / 100 for i in range(60)],
        fixed_bg_threshold=0.25,
        boundary_f=True)
]
test_evaluator = val_evaluator
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=5e-4, weight_decay=5e-4),
    # fc8 (head) and the PCM are the "from scratch" layers (10x lr); every
    # conv is bias-free and the BN affines are frozen, so the official 2x /
    # 20x bias groups have no members
    paramwise_cfg=dict(custom_keys={
        'head': dict(lr_mult=10.0),
        'pcm': dict(lr_mult=10.0)
    }))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(interval=1322))
randomness = dict(seed=1)
# tools/run_pipeline.py: CAMs of trainaug (4 scales x flip), then hfpl's
# refinement: CRF score pairs at background powers 1 / 24, AffinityNet
# (ImageNet init), its random walk (alpha 6, beta 8, 2^6 steps, no CRF);
# then DeepLab-V2 on the labels (hfpl: DeepLab-v1 on ResNet-38).
# DenseCRF instead of the walk (no affinity stages):
#   refine=dict(type='RefineStage', split='trainaug', dataset=trainaug,
#               nproc=8, refiner=dict(type='DenseCRFRefiner', bg_power=4.0))
trainaug = dict(
    split='trainaug', label_source='file', seg_map_dir='SegmentationClassAug')
stages = dict(
    train=dict(type='TrainStage'),
    cams=dict(
        type='CAMStage',
        split='trainaug',
        dataset=trainaug,
        batch_size=1,
        metric=dict(fixed_bg_threshold=0.25, boundary_f=True)),
    aff_labels=dict(
        type='AffinityLabelStage',
        split='trainaug',
        dataset=trainaug,
        nproc=8,
        maker=dict(type='CRFScoreMaker', bg_powers=(1, 24))),
    aff_train=dict(
        type='AffinityTrainStage',
        config='configs/affinity/affinitynet_r38_hfpl_voc.py',
        labels='aff_labels'),
    refine=dict(
        type='RefineStage',
        split='trainaug',
        dataset=trainaug,
        affinity='aff_train',
        nproc=1,
        refiner=dict(
            type='PSARandomWalkRefiner',
            alpha=6,
            beta=8,
            logt=6,
            device='cuda')),
    segment=dict(
        type='SegmentStage',
        config='configs/deeplab/deeplabv2_r101_voc_pseudo.py',
        tta=True,
        crf_iters=10))
# Effective batch: 8 = 1 GPU × 8 (official: one process with the whole batch).
# The learning rate is the recipe's at any GPU count.
auto_scale_lr = dict(enable=False, base_batch_size=8)
