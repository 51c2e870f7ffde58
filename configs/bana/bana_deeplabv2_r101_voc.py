# BANA stage 3 (Oh et al., CVPR 2021, arXiv:2104.00905; official code
# github.com/cvlab-yonsei/BANA): DeepLab-V2
# (ResNet-101, output stride 8) whose ASPP branches (four bias-free 3x3
# convs 2048 -> 256, dilations 6/12/18/24) are summed, passed through ReLU
# and classified by a cosine classifier (τ = 20), trained with the
# noise-aware loss on VOC 2012 train_aug with Y_crf (<pseudo_label_dir>/)
# and Y_ret (pseudo_ret/ beside it). Paper: 74.6 val mIoU from MS-COCO
# pretraining, 70.9 from ImageNet (ms + flip + CRF). BANA ships only the
# config of this model (BANA:configs/stage3_res.yml), no training script
# in the official code; τ = 20 and 21 classes fill the keys it lacks.
#   train:        python tools/train.py configs/bana/bana_deeplabv2_r101_voc.py
#   ms+flip+CRF:  python tools/test.py CONFIG CKPT --tta
_base_ = [
    '../_base_/models/deeplabv2_r101.py', '../_base_/datasets/voc12_pseudo.py',
    '../_base_/schedules/poly_sgd_20k.py', '../_base_/default_runtime.py'
]
# Weights: the MSRA/Caffe DeepLab-V2 ResNet-101 (MS-COCO-pretrained for the
# 74.6 headline, or ImageNet), converted to mmseg ResNet keys with
# tools/model_converters/deeplab_caffe.py --arch resnet101; Caffe
# style (stride in the 1x1 conv) and Caffe preprocessing (BGR, mean
# subtraction, no std).
# Nothing is downloaded. With torchvision ImageNet weights instead, set
# style='pytorch' and the base's RGB mean/std.
pretrained = 'pretrained/deeplabv2_r101_coco_caffe.pth'
crop_size = (321, 321)
# BatchNorm: BANA's ResNet uses BN momentum 0.999 in PyTorch's
# convention (running statistics ~ the last batch) with FREEZE_BN False. We
# freeze BN instead (eval-mode statistics from the pretrained model, no
# affine updates; the base's norm_cfg requires_grad=False, norm_eval=True),
# as DeepLab-V2 trains with batch 10; eval-mode results may differ from an
# unfrozen-BN run.
model = dict(
    data_preprocessor=dict(
        mean=[104.008, 116.669, 122.675],
        std=[1.0, 1.0, 1.0],
        bgr_to_rgb=False,
        size=crop_size),
    backbone=dict(
        style='caffe',
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    decode_head=dict(
        _delete_=True,
        type='CosineASPPHead',
        in_channels=2048,
        channels=256,
        num_classes=21,
        dilations=(6, 12, 18, 24),
        classifier='cosine',
        temperature=20.0,
        align_corners=True,
        loss_decode=dict(
            type='NoiseAwareLoss',
            mode='nal',
            gamma=7.0,
            lam=0.1,
            temperature=20.0,
            detach_sigma=False)))
# Data: as DeepLab-V1 (scale 0.5-1.5, crop 321, flip, BANA's colour
# jitter), batch 10; both pseudo labels transformed together.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPseudoLabelPair'),
    dict(
        type='RandomResize',
        scale=(500, 500),
        ratio_range=(0.5, 1.5),
        keep_ratio=True),
    # BANA's loader: centred pad (mean colour / 255), then crop;
    # pad='none' pads bottom/right in the data preprocessor (mmseg's way)
    dict(type='CentredPadRandomCrop', crop_size=crop_size, pad='centre'),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='FixedOrderColorJitter',
        brightness=0.5,
        contrast=0.5,
        saturation=0.5),
    dict(type='PackPseudoLabelPair'),
]
pseudo_label_dir = '{{ fileDirname }}/../../work_dirs/pseudo_labels/pseudo'
train_dataloader = dict(
    batch_size=10,
    dataset=dict(
        data_prefix=dict(seg_map_path=pseudo_label_dir),
        ret_dir='pseudo_ret',
        pipeline=train_pipeline))
# Test: scales (1.0, 0.5, 0.75, 1.5) x flip + DenseCRF
# (4, 67, 3, 3, 1), 10 iterations, on the raw RGB image (not the
# official code's uint8 cast of the Caffe-normalised BGR tensor).
img_ratios = [1.0, 0.5, 0.75, 1.5]
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
tta_model = dict(
    merge='logits',  # average the cosine scores, then softmax (BANA)
    crf=dict(
        n_iter=10,
        bilateral_compat=4,
        bilateral_sxy=67,
        bilateral_srgb=3,
        gaussian_compat=3,
        gaussian_sxy=1))
# Optimisation: lr 2.5e-4, poly 0.9, 20,000 iterations, momentum
# 0.9, wd 5e-4, backbone x1 and head (ASPP + classifier) x10: the schedule
# base, poly_sgd_20k.py.
randomness = dict(seed=13)
# Effective batch: 10 = 1 GPU × 10 (DeepLab-V2's batch in one process). The
# learning rate is the recipe's at any GPU count.
auto_scale_lr = dict(enable=False, base_batch_size=10)
