# DeepLab-V3+ on ResNet-101-V1c (deep stem), output stride 8, with an FCN
# auxiliary head on stage 3: mmseg's standard DeepLab-V3+ setting (Chen et
# al., ECCV 2018). `pretrained` is mmseg's ImageNet ResNet-101-V1c
# (open-mmlab://resnet101_v1c, saved locally).
pretrained = 'pretrained/resnet101_v1c.pth'
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNetV1c',
        depth=101,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        contract_dilation=True,
        style='pytorch',
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    decode_head=dict(
        type='DepthwiseSeparableASPPHead',
        in_channels=2048,
        in_index=3,
        channels=512,
        dilations=(1, 12, 24, 36),
        c1_in_channels=256,
        c1_channels=48,
        dropout_ratio=0.1,
        num_classes=21,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=1.0,
            avg_non_ignore=True)),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=1024,
        in_index=2,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=21,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=0.4,
            avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
# `tools/test.py --tta`: multi-scale + flip; DenseCRF off (n_iter=0).
# `--cfg-options tta_model.crf.n_iter=10` adds DenseCRF with BANA's
# DeepLab-V2 test parameters ((4, 67, 3, 3, 1), 10 iterations).
tta_model = dict(
    type='CRFSegTTAModel',
    crf=dict(
        n_iter=0,
        bilateral_compat=4,
        bilateral_sxy=67,
        bilateral_srgb=3,
        gaussian_compat=3,
        gaussian_sxy=1))
