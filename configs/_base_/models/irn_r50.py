# IRN (Ahn, Cho & Kwak, CVPR 2019, arXiv:1904.05044; official code
# github.com/jiwoon-ahn/irn net/resnet50_irn.py): torchvision ResNet-50
# (strides 2, 2, 2, 1; frozen: BN statistics fixed, no gradients, outputs
# detached) + class-boundary and displacement branches, trained with the
# affinity + displacement loss on path pairs of radius 10.
# Normalisation as torchvision / IRN (ImageNet mean and std, RGB); images
# come from LoadImageFromFile in BGR, hence bgr_to_rgb.
data_preprocessor = dict(
    type='ImgDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True)
pretrained = 'pretrained/resnet50-19c8e357.pth'
model = dict(
    type='IRNet',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet50Stages',
        base_channels=64,
        strides=(2, 2, 2, 1),
        frozen=True,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    head=dict(
        type='IRNHead',
        in_channels=(64, 256, 512, 1024, 2048),
        edge_channels=32,
        dp_channels=(64, 128, 256)),
    # pairs within radius 10 on the 128 x 128 output grid of 512 crops
    loss=dict(
        type='AffinityDisplacementLoss', radius=10, crop_size=(128, 128)),
    # edge_map (the random walk's input): image + mirror, zero-padded to
    # 512 x 512 after normalisation as the official inference does;
    # pad_to=None skips the padding (needed for images over 512 px)
    pad_to=512,
    flip=True)
