# Stage 5: DeepLab-V2 ResNet-101 (the VOC model, 81 classes) trained on
# pseudo labels of the 82,081 labelled MS-COCO 2014 train images, evaluated
# on the 40,137 labelled val images (mIoU over background + 80 classes). The
# category id -> train id mapping is coco_train_ids in
# configs/_base_/datasets/coco14_pseudo.py (train id = 1 + rank of the
# category id: person 1 -> 1, stop sign 13 -> 12, toothbrush 90 -> 80).
# Recipe of ACR's supplement for COCO (Kweon et al., "Weakly Supervised
# Semantic Segmentation via Adversarial Learning of Classifier and
# Reconstructor", CVPR 2023): lr 5e-4, weight decay 5e-5, batch 8, 30 epochs
# over the train images = 30 x 82,081 / 8 = 307,804 iterations. Momentum
# 0.9, poly(0.9) to 0, the head at 10x lr and the 321 crop come from the VOC
# DeepLab-V2 base (configs/_base_/schedules/poly_sgd_20k.py).
#   python tools/dataset_converters/coco.py data/coco
#   python tools/train.py configs/deeplab/deeplabv2_r101_coco_pseudo.py \
#     [--cfg-options train_dataloader.dataset.data_prefix.seg_map_path=DIR]
#   val mIoU:           python tools/test.py CONFIG CKPT
#   ms + flip:          python tools/test.py CONFIG CKPT --tta
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/coco14_pseudo.py',
    '../_base_/schedules/poly_sgd_20k.py', '../_base_/default_runtime.py'
]
max_iters = 307804
crop_size = (321, 321)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=81))
train_dataloader = dict(batch_size=8)
optim_wrapper = dict(optimizer=dict(lr=5e-4, weight_decay=5e-5))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=20000, max_keep_ckpts=2))
# Effective batch: 8 = 1 GPU × 8 (the recipe's batch, here in one process).
# The learning rate is the recipe's at any GPU count.
auto_scale_lr = dict(enable=False, base_batch_size=8)
