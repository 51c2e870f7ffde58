# Stage 5: DeepLab-V3+ ResNet-101-V1c trained on pseudo labels of VOC
# train_aug, evaluated on VOC val, with mmseg's VOC-aug recipe (deeplabv3plus
# r101-d8 4xb4-20k voc12aug-512x512): batch 4 x 4 GPUs, crop 512, rescale
# (2048, 512) x [0.5, 2.0], photometric jitter, SGD lr 0.01, poly to 1e-4,
# 20k iterations.
#   val mIoU:           python tools/test.py CONFIG CKPT
#   ms + flip:          python tools/test.py CONFIG CKPT --tta
#   ms + flip + CRF:    python tools/test.py CONFIG CKPT --tta \
#                           --cfg-options tta_model.crf.n_iter=10
_base_ = [
    '../_base_/models/deeplabv3plus_r101v1c.py',
    '../_base_/datasets/voc12_pseudo.py',
    '../_base_/schedules/poly_sgd_20k.py', '../_base_/default_runtime.py'
]
# Folder of <id>.png pseudo labels (uint8, 255 = ignore) from stages 2-4.
pseudo_label_dir = '{{ fileDirname }}/../../work_dirs/pseudo_labels/pseudo'
crop_size = (512, 512)
model = dict(data_preprocessor=dict(size=crop_size))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(2048, 512),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=4,
    dataset=dict(
        data_prefix=dict(seg_map_path=pseudo_label_dir),
        pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=20000,
        by_epoch=False)
]
# Effective batch: 16 = 4 GPUs × 4 (mmseg's recipe: tools/dist_train.sh CONFIG
# 4; on 1 GPU the batch is 4). The learning rate is the recipe's at any GPU
# count.
auto_scale_lr = dict(enable=False, base_batch_size=16)
