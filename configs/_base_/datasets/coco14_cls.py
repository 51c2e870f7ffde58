# MS-COCO 2014 image-level labels (80 classes). Train: train2014 (82,081
# images with at least one object); val: val2014 (40,137). Labels and masks
# from tools/dataset_converters/coco.py (cls_labels_<split>.txt,
# SegmentationClass/<split>2014/). Augmentation as the VOC stage-1 base
# (AEFT's supplement: "the same as VOC" for COCO).
_base_ = ['./voc12_cls.py']
dataset_type = 'COCOClsDataset'
data_root = 'data/coco'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='cls_labels_train.txt',
        data_prefix=dict(img_path='train2014'),
        seg_map_dir='SegmentationClass/train2014',
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='cls_labels_val.txt',
        data_prefix=dict(img_path='val2014'),
        seg_map_dir='SegmentationClass/val2014',
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
