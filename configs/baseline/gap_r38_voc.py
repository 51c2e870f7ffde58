# CAM baseline (GAP) with ResNet-38d on PASCAL VOC 2012 trainaug, AEFT's
# training recipe without GPP/AEFT (the paper's "GAP baseline", 48.4 seed
# mIoU on VOC train). Needs data/VOCdevkit/VOC2012 with SegmentationClassAug
# (tools/dataset_converters/voc_aug.py) and pretrained/resnet38d_imagenet.pth
# (tools/model_converters/resnet38d_mxnet.py).
_base_ = [
    '../_base_/models/cam_resnet38d.py', '../_base_/datasets/voc12_cls.py',
    '../_base_/schedules/poly_sgd_53k.py', '../_base_/default_runtime.py'
]
randomness = dict(seed=5137)
default_hooks = dict(
    checkpoint=dict(interval=5000, max_keep_ckpts=3))
# Effective batch: 8 = 1 GPU × 8 (official: one process with the whole batch).
# The learning rate is the recipe's at any GPU count.
auto_scale_lr = dict(enable=False, base_batch_size=8)
