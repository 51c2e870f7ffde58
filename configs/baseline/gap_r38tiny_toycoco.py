# CAM baseline (GAP) on the toy COCO, end to end in the COCO layout: the toy
# trunk, schedule and pipelines of gap_r38tiny_toy.py (1/16-width ResNet-38d
# from scratch, 1,000 iterations on 2 CPU cores) on COCOClsDataset. Data:
#   python tools/misc/make_toy_coco.py --out data/toycoco
#   python tools/dataset_converters/coco.py data/toycoco
# Run: python tools/run_pipeline.py configs/baseline/gap_r38tiny_toycoco.py
# Labels are the toy categories in ascending COCO category id:
#   label 0 disc (id 1), 1 square (id 3), 2 triangle (id 7), 3 cross (id 12),
#   4 ring (id 18), 5 star (id 25); pixel value in the masks = label + 1.
_base_ = ['./gap_r38tiny_toy.py']
data_root = 'data/toycoco'
classes = ('disc', 'square', 'triangle', 'cross', 'ring', 'star')
# labels and masks written by the converter; val2014 for validation
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='COCOClsDataset',
        data_root=data_root,
        ann_file='cls_labels_train.txt',
        data_prefix=dict(img_path='train2014'),
        seg_map_dir='SegmentationClass/train2014',
        metainfo=dict(classes=classes),
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='COCOClsDataset',
        data_root=data_root,
        ann_file='cls_labels_val.txt',
        data_prefix=dict(img_path='val2014'),
        seg_map_dir='SegmentationClass/val2014',
        metainfo=dict(classes=classes),
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
# CAMs and pseudo labels of the labelled train2014 images (COCOClsDataset
# has no `split`: the CAM and refine stages replace the test dataset's
# files), then the toy COCO DeepLab on them.
train2014 = dict(
    ann_file='cls_labels_train.txt',
    data_prefix=dict(img_path='train2014'),
    seg_map_dir='SegmentationClass/train2014')
stages = dict(
    cams=dict(split=None, dataset=train2014),
    refine=dict(split=None, dataset=train2014),
    segment=dict(
        config='configs/deeplab/deeplabv2_r18_toycoco_pseudo.py',
        init_from=None))  # the ResNet-18 toy DeepLab, from scratch
