# Stage 5: DeepLab-V2 ResNet-101 trained on pseudo labels of VOC train_aug,
# evaluated on VOC val. Recipe: configs/_base_/schedules/poly_sgd_20k.py.
#   train: python tools/train.py configs/deeplab/deeplabv2_r101_voc_pseudo.py
#     [--cfg-options train_dataloader.dataset.data_prefix.seg_map_path=DIR]
#   val mIoU:           python tools/test.py CONFIG CKPT
#   ms + flip:          python tools/test.py CONFIG CKPT --tta
#   ms + flip + CRF:    python tools/test.py CONFIG CKPT --tta \
#                           --cfg-options tta_model.crf.n_iter=10
_base_ = [
    '../_base_/models/deeplabv2_r101.py', '../_base_/datasets/voc12_pseudo.py',
    '../_base_/schedules/poly_sgd_20k.py', '../_base_/default_runtime.py'
]
# Folder of <id>.png pseudo labels (uint8, 255 = ignore) from stages 2-4.
pseudo_label_dir = '{{ fileDirname }}/../../work_dirs/pseudo_labels/pseudo'
crop_size = (321, 321)
model = dict(data_preprocessor=dict(size=crop_size))
train_dataloader = dict(
    dataset=dict(data_prefix=dict(seg_map_path=pseudo_label_dir)))
# Effective batch: 10 = 1 GPU × 10 (DeepLab-V2's batch in one process). The
# learning rate is the recipe's at any GPU count.
auto_scale_lr = dict(enable=False, base_batch_size=10)
