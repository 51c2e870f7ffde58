# DeepLab-V2 (ASPP-L) on ResNet-101, output stride 8 (Chen et al., TPAMI
# 2018): the Res101 segmentation network of the WSSS papers
# (hfpl, BANA). Layers 3/4 dilated 2/4 with stride
# 1, ASPP = sum of four dilated 3x3 classifiers (DeepLabV2Head), no BN/ReLU
# in the head. Backbone BN frozen (eval mode, no affine updates), as
# DeepLab-V2 / deeplab-pytorch train it with batch 10.
# Weights: `pretrained` below is ImageNet ResNet-101 in torchvision's key
# layout (mmseg `ResNet` uses the same names). For the Caffe DeepLab-V2
# weights (ImageNet or MS-COCO init, converted), set style='caffe' (stride in
# the 1x1 conv) and Caffe preprocessing: bgr_to_rgb=False,
# mean=[104.008, 116.669, 122.675], std=[1.0, 1.0, 1.0].
pretrained = 'pretrained/resnet101_imagenet.pth'
norm_cfg = dict(type='BN', requires_grad=False)
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
        type='ResNet',
        depth=101,
        num_stages=4,
        out_indices=(3, ),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        style='pytorch',
        norm_cfg=norm_cfg,
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    decode_head=dict(
        type='DeepLabV2Head',
        in_channels=2048,
        num_classes=21,
        dilations=(6, 12, 18, 24),
        align_corners=False,
        # mean over labelled pixels (255 excluded), like DeepLab's CE
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=1.0,
            avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
# `tools/test.py --tta`: multi-scale + flip (the dataset's tta_pipeline),
# softmax-averaged as mmseg's SegTTAModel. DenseCRF on the merged
# probabilities is off (n_iter=0);
# `--cfg-options tta_model.crf.n_iter=10` gives the +CRF column with BANA's
# DeepLab-V2 test CRF ((w_bi, θ_α, θ_β, w_g, θ_γ) = (4, 67, 3, 3, 1), 10
# iterations, the same as DeepLab-V2's own VOC setting in deeplab-pytorch).
tta_model = dict(
    type='CRFSegTTAModel',
    crf=dict(
        n_iter=0,
        bilateral_compat=4,
        bilateral_sxy=67,
        bilateral_srgb=3,
        gaussian_compat=3,
        gaussian_sxy=1))
