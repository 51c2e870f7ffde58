# CAM baseline (GAP) on the embedded toy VOC: ResNet-38d at 1/16 width
# (256 output channels), trained from scratch on 2 CPU cores in a few
# minutes. Generate the data first: python tools/misc/make_toy_voc.py
# --out data/toyvoc
_base_ = [
    '../_base_/models/cam_resnet38d.py', '../_base_/datasets/toyvoc_cls.py',
    '../_base_/schedules/toy_adamw_cosine_1k.py',
    '../_base_/default_runtime.py'
]
model = dict(
    data_preprocessor=dict(num_classes=6),
    backbone=dict(
        width_mult=0.0625,
        frozen_stages=(),
        norm_eval=False,
        frozen_bn_affine=False,
        # no ImageNet weights for the toy: from scratch, Kaiming-normal convs
        # (PyTorch's default init left the loss flat for 1,000 steps)
        init_cfg=dict(
            _delete_=True,
            type='Kaiming',
            layer='Conv2d',
            mode='fan_out',
            nonlinearity='relu')),
    head=dict(num_classes=6, in_channels=256),
    cam_cfg=dict(scales=(1.0, ), flip=True, resize_mode='bilinear'))
default_hooks = dict(checkpoint=dict(interval=500))
# tools/run_pipeline.py: CAMs on train (single scale + flip, as above),
# DenseCRF pseudo labels, DeepLab-V2 on them, its ResNet-38d trunk
# initialised from this run's classifier (the toy's stand-in for ImageNet
# weights); `make demo` runs this.
stages = dict(
    train=dict(type='TrainStage'),
    cams=dict(
        type='CAMStage',
        split='train',
        batch_size=32,
        metric=dict(fixed_bg_threshold=0.5, boundary_f=True)),
    refine=dict(
        type='RefineStage',
        split='train',
        nproc=2,
        refiner=dict(type='DenseCRFRefiner', bg_power=1.0)),
    segment=dict(
        type='SegmentStage',
        config='configs/deeplab/deeplabv2_r38tiny_toy_pseudo.py',
        init_from='train',
        tta=True,
        crf_iters=10))
# Effective batch: 32 = 1 GPU × 32 (the toy: one CPU process). The learning
# rate is the recipe's at any GPU count.
auto_scale_lr = dict(enable=False, base_batch_size=32)
