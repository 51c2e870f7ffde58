# BANA stage 3 (Oh et al., CVPR 2021, arXiv:2104.00905; official code
# github.com/cvlab-yonsei/BANA): DeepLab-V1
# LargeFOV (VGG-16, output stride 8) with a cosine classifier (τ = 20)
# trained with the noise-aware loss on VOC 2012 train_aug, using the two
# pseudo labels of stage 2: Y_crf (<pseudo_label_dir>/<id>.png) and Y_ret
# (pseudo_ret/<id>.png beside it). Paper: 68.1 val mIoU (ms + flip + CRF);
# the authors' log: 68.07.
#   train:         python tools/train.py CONFIG [--cfg-options \
#                    train_dataloader.dataset.data_prefix.seg_map_path=DIR]
#                  (Y_ret is read from DIR/../pseudo_ret)
#   val (1 scale): python tools/test.py CONFIG CKPT
#   ms+flip+CRF:   python tools/test.py CONFIG CKPT --tta
# Ablations (supplement) via --cfg-options: model.decode_head.loss_decode.mode=
# baseline | er | bs; model.decode_head.classifier=dot (DP classifier).
# CE on Y_crf alone: a derived config with loss_decode=dict(_delete_=True,
# type='CrossEntropyLoss', avg_non_ignore=True); CE on Y_ret alone: the
# same with seg_map_path=<...>/pseudo_ret.
_base_ = [
    '../_base_/datasets/voc12_pseudo.py',
    '../_base_/schedules/poly_sgd_20k.py', '../_base_/default_runtime.py'
]
# Caffe VGG-16 ImageNet weights in DeepLab's "vgg16_20M" init model (fc6/fc7
# reduced to 1024 channels), converted to VGG16LargeFOV's Caffe-style keys
# (conv1_1 ... fc7) and loaded non-strictly. Not distributed with
# BANA; convert DeepLab's init.caffemodel with
# tools/model_converters/deeplab_caffe.py --arch vgg16. Nothing is
# downloaded.
pretrained = 'pretrained/vgg16_20M_deeplab.pth'
crop_size = (321, 321)
# Caffe normalisation: BGR order (as loaded), mean subtracted,
# no std; pads are 0 after normalisation (the mean colour) and 255 labels.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[104.008, 116.669, 122.675],
    std=[1.0, 1.0, 1.0],
    bgr_to_rgb=False,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='VGG16LargeFOV',
        fc6_dilation=12,
        fc_channels=1024,
        dropout_ratio=0.5,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    decode_head=dict(
        type='CosineSegHead',
        in_channels=1024,
        num_classes=21,
        classifier='cosine',
        temperature=20.0,
        dropout_ratio=0.0,  # DeepLab-V1's dropout is in the backbone
        align_corners=True,
        loss_decode=dict(
            type='NoiseAwareLoss',
            mode='nal',
            gamma=7.0,
            lam=0.1,
            temperature=20.0,
            detach_sigma=False)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
# Data: scale 0.5-1.5 (VOC's long side is 500 px, so a keep-ratio
# (500, 500) scale x [0.5, 1.5] rescales the original image), crop 321
# (smaller images padded centred, as BANA's loader does),
# flip, jitter (0.5, 0.5, 0.5, 0) in BANA's order. Both pseudo labels go
# through the same geometric transforms (nearest); mask_fin is formed last.
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
# Batch 20 on one GPU (45 epochs x 529 iterations with drop_last); with N
# GPUs use batch_size=20 // N.
train_dataloader = dict(
    batch_size=20,
    dataset=dict(
        data_prefix=dict(seg_map_path=pseudo_label_dir),
        ret_dir='pseudo_ret',
        pipeline=train_pipeline))
# Test: scales (1.0, 0.5, 0.75, 1.5) x flip, then DenseCRF
# (w_bi, θ_α, θ_β, w_g, θ_γ) = (4, 121, 5, 3, 3), 10 iterations, on the raw
# RGB image (BANA's code feeds the Caffe-normalised BGR tensor cast to
# uint8; we do not copy that bug). BANA averages the cosine scores of
# the 8 views and takes softmax(20 · mean): CRFSegTTAModel(merge='logits').
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
    type='CRFSegTTAModel',
    merge='logits',  # average the cosine scores, then softmax (BANA)
    crf=dict(
        n_iter=10,
        bilateral_compat=4,
        bilateral_sxy=121,
        bilateral_srgb=5,
        gaussian_compat=3,
        gaussian_sxy=3))
# Optimisation: SGD momentum 0.9, wd 5e-4, lr 1e-3 with poly
# 0.9 over 23,805 iterations; pretrained weights x1, pretrained biases x2
# without decay, the new classifier (decode_head.conv_seg, bias-free) x10.
max_iters = 23805
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(
        bias_lr_mult=2.0,
        bias_decay_mult=0.0,
        custom_keys={'decode_head.conv_seg': dict(lr_mult=10.0)}))
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
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=2000)
randomness = dict(seed=13)
# Effective batch: 20 = 1 GPU × 20 (official: one GPU). The learning rate is
# the recipe's at any GPU count.
auto_scale_lr = dict(enable=False, base_batch_size=20)
