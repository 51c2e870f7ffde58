# BANA stage 1 (Oh et al., CVPR 2021, arXiv:2104.00905; official code
# github.com/cvlab-yonsei/BANA): VGG-16 (AffinityNet
# variant: DeepLab-LargeFOV layout with fc6 dilation 1, output stride 8,
# 1024-d fc7) + background-aware pooling + a bias-free 21-way (background
# first) dot-product classifier, trained with CE over 2x2-binned box
# features and the background queries of a 4x4 grid, on VOC 2012 train_aug
# boxes. The trained classifier is what stage 2 turns into Y_crf / Y_ret.
#   train: python tools/train.py configs/bana/bana_bap_vgg16_voc.py
#   GAP baseline: --cfg-options model.head.use_bap=False
#   paper's one feature per box: --cfg-options model.head.roi_size=1
_base_ = ['../_base_/datasets/voc12_box.py', '../_base_/default_runtime.py']
# Caffe VGG-16 ImageNet weights in DeepLab's "vgg16_20M" init model (fc6/fc7
# reduced to 1024 channels), converted to VGG16LargeFOV's Caffe-style
# keys (conv1_1 ... fc7) and loaded non-strictly. Not distributed with BANA
# and nothing is downloaded: put the converted file here (the same
# file as configs/bana/bana_deeplabv1_vgg16_voc.py).
pretrained = 'pretrained/vgg16_20M_deeplab.pth'
# Caffe normalisation: BGR as loaded, mean subtracted, no std.
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    mean=[104.008, 116.669, 122.675],
    std=[1.0, 1.0, 1.0],
    to_rgb=False,
    to_onehot=True,
    num_classes=20)
model = dict(
    type='BANAClassifier',
    data_preprocessor=data_preprocessor,
    bgr_inputs=True,
    backbone=dict(
        type='VGG16LargeFOV',
        fc6_dilation=1,  # stage 1; 12 in stage 3
        fc_channels=1024,
        dropout_ratio=0.5,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    head=dict(
        type='BAPHead',
        num_classes=20,
        in_channels=1024,
        grid_size=4,
        roi_size=2,
        valid_bg_ratio=0.125,
        use_bap=True,
        sample_align_corners=False,
        loss_cls=dict(
            type='CrossEntropyLoss', avg_non_ignore=True,
            loss_name='loss_bap'),
        init_cfg=dict(type='Normal', layer='Conv2d', std=0.01)),
    # CAMs (inference / CAM metrics only; stage 2 has its own rules):
    # single scale, no flip, w_c · f of the foreground classes
    cam_cfg=dict(scales=(1.0, ), flip=False, resize_mode='bilinear'))
# Optimisation: SGD momentum 0.9, wd 5e-4, lr 1e-3; pretrained
# weights x1, pretrained biases x2 without decay, the new classifier x10;
# lr x0.1 at iteration 5,000; 8,000 iterations at batch 20; seed 13.
max_iters = 8000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(
        bias_lr_mult=2.0,
        bias_decay_mult=0.0,
        custom_keys={'head.classifier': dict(lr_mult=10.0)}))
param_scheduler = [
    dict(
        type='MultiStepLR',
        milestones=[5000],
        gamma=0.1,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
randomness = dict(seed=13)
# Stages 2-3 from one command (python tools/run_pipeline.py
# configs/bana/bana_bap_vgg16_voc.py): no CAM stage; stage 2 on
# the 10,582 trainaug images with the official settings (grid 1, u_0
# threshold 0.99, DenseCRF (4, 55, 3, 3, 3), 10 iterations, float32 box
# round trip), scored against SegmentationClassAug; stage 3 DeepLab-V1 with
# NAL on Y_crf / Y_ret, tested single-scale, ms + flip and ms + flip + CRF.
stages = dict(
    train=dict(type='TrainStage'),
    box_labels=dict(
        type='BoxLabelStage',
        split='trainaug',
        dataset=dict(seg_map_dir='SegmentationClassAug'),
        nproc=2,
        generator=dict(
            type='BoxPseudoLabelGenerator', bg_threshold=0.99,
            grid_size=1)),
    segment=dict(
        type='SegmentStage',
        labels='box_labels',
        config='configs/bana/bana_deeplabv1_vgg16_voc.py',
        tta=True,
        crf_iters=10))
# Effective batch: 20 = 1 GPU × 20 (official: one process with the whole
# batch). The learning rate is the recipe's at any GPU count.
auto_scale_lr = dict(enable=False, base_batch_size=20)
