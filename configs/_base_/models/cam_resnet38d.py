# CAM classifier: ResNet-38d (output stride 8) + GAP head, ImageNet init from
# the converted MXNet weights (tools/model_converters/resnet38d_mxnet.py).
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
    to_onehot=True,
    num_classes=20)
model = dict(
    type='CAMClassifier',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet38d',
        dropout=(0.0, 0.0),
        frozen_stages=('conv1a', 'b2', 'b2_1', 'b2_2'),
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='pretrained/resnet38d_imagenet.pth')),
    head=dict(type='GAPHead', num_classes=20, in_channels=4096),
    # AEFT/SEAM inference: 4 scales x flip, bicubic rescaling, upsample then
    # ReLU, per-class max normalisation (KAIST-vilab/AEFT infer.py).
    cam_cfg=dict(scales=(1.0, 0.5, 1.5, 2.0), flip=True,
                 resize_mode='bicubic'))
