# Stage 5 on the embedded toy VOC: DeepLab-V2 head on a narrow ResNet-18
# (stem and base width 16, output stride 8), trained from scratch on 2 CPU
# cores in about 2.5 minutes: 2,500 iterations of 8 random 64x64 crops
# (per CPU-second, batches of 8 learned much faster here than batches of 16
# or 96x96 inputs). Dilations are scaled to the 12x12 feature map of a 96x96
# image (VOC's (6, 12, 18, 24) act on about 63x63).
# Measured with the ground truth as pseudo labels (the upper bound for
# pseudo labels): val mIoU 48.8 after 2 min 17 s (3,000 iterations, 3 min
# 20 s on a busier machine: 59.1; single runs, expect a few points of spread).
# Train on the toy CAM baseline's pseudo labels (default pseudo_label_dir),
# or on the ground truth:
#   python tools/train.py configs/deeplab/deeplabv2_r18_toy_pseudo.py \
#     --cfg-options \
#     train_dataloader.dataset.data_prefix.seg_map_path=SegmentationClass
# Test:  plain            python tools/test.py CONFIG CKPT
#        ms + flip        python tools/test.py CONFIG CKPT --tta
#        ms + flip + CRF  python tools/test.py CONFIG CKPT --tta \
#                             --cfg-options tta_model.crf.n_iter=10
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/toyvoc_pseudo.py', '../_base_/default_runtime.py'
]
pseudo_label_dir = ('{{ fileDirname }}/../../work_dirs/gap_r38tiny_toy/'
                    'refine/pseudo')
crop_size = (64, 64)
max_iters = 2500
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        depth=18,
        stem_channels=16,
        base_channels=16,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),  # no ImageNet weights for the toy: from scratch
    decode_head=dict(in_channels=128, num_classes=7, dilations=(1, 2, 3, 4)))
train_dataloader = dict(
    dataset=dict(data_prefix=dict(seg_map_path=pseudo_label_dir)))
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=3e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=30, by_epoch=False),
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=30,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
# Effective batch: 8 = 1 GPU × 8 (the toy: one CPU process). The learning rate
# is the recipe's at any GPU count.
auto_scale_lr = dict(enable=False, base_batch_size=8)
