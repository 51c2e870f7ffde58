# Stage 5 on the toy COCO (python tools/misc/make_toy_coco.py --out
# data/toycoco; python tools/dataset_converters/coco.py data/toycoco): the
# toy DeepLab-V2 of deeplabv2_r18_toy_pseudo.py (narrow ResNet-18, 64x64
# crops, its schedule and pipelines) on background + 6 shape classes. Pixel
# value = label + 1, the labels in ascending COCO category id:
#   value  1 disc (id 1)   2 square (id 3)  3 triangle (id 7)
#   value  4 cross (id 12) 5 ring (id 18)   6 star (id 25)
# Train on the labelled train2014 images (ImageSets/train2014.txt, written by
# the converter) with pseudo labels <pseudo_label_dir>/<id>.png; validate on
# the labelled val2014 images against the converter's masks
# (SegmentationClass/val2014, crowd regions 255). Default pseudo labels: the
# refine stage of configs/baseline/gap_r38tiny_toycoco.py, which runs this
# config as its segment stage.
#   python tools/train.py configs/deeplab/deeplabv2_r18_toycoco_pseudo.py
#   python tools/test.py configs/deeplab/deeplabv2_r18_toycoco_pseudo.py CKPT
_base_ = ['./deeplabv2_r18_toy_pseudo.py']
data_root = 'data/toycoco'
# anchored at the repository root: a relative folder is joined to data_root
pseudo_label_dir = ('{{ fileDirname }}/../../work_dirs/gap_r38tiny_toycoco/'
                    'refine/pseudo')
train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file='ImageSets/train2014.txt',
        data_prefix=dict(img_path='train2014', seg_map_path=pseudo_label_dir)))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file='ImageSets/val2014.txt',
        data_prefix=dict(
            img_path='val2014', seg_map_path='SegmentationClass/val2014')))
test_dataloader = val_dataloader
