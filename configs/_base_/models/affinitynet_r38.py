# AffinityNet (Ahn & Kwak, CVPR 2018, arXiv:1803.10464, jiwoon-ahn/psa
# network/resnet38_aff.py): ResNet-38d trunk (psa's conv4 / conv5 / conv6 =
# b5_in / b6_in / final; Dropout2d 0.3 / 0.5 in b6 / b7; conv1a and b2* frozen;
# BN frozen) + affinity head (f8_3/f8_4/f8_5 -> 64/128/256, f9 448 -> 448),
# psa pairs of radius 5 on the stride-8 grid. ImageNet init from the converted
# MXNet weights (tools/model_converters/resnet38d_mxnet.py).
model = dict(
    type='AffinityNet',
    data_preprocessor=dict(
        type='ImgDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='ResNet38d',
        dropout=(0.3, 0.5),
        frozen_stages=('conv1a', 'b2', 'b2_1', 'b2_2'),
        norm_eval=True,
        frozen_bn_affine=True,
        out_indices=('b5_in', 'b6_in', 'final'),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='pretrained/resnet38d_imagenet.pth')),
    head=dict(
        type='AffinityHead',
        in_channels=(512, 1024, 4096),
        channels=(64, 128, 256),
        out_channels=448),
    loss=dict(type='AffinityLoss', weights=(0.25, 0.25, 0.5), eps=1e-5),
    radius=5,
    radius_rule='psa',
    pair_set='psa')
