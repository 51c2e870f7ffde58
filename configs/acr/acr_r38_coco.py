# ACR on MS-COCO 2014 (80 classes) with the supplement's settings: lr 0.005,
# batch 8, 3 epochs over the 82,081 train2014 images (10,260 iterations per
# epoch, 30,780 in all), RU weights lambda_t 0.2 / lambda_nt 0.2, CU weights
# 0.3 / 0.2. The official code is VOC-only; everything else (crop 256, long
# side 384-512, SRF 16 cells with q = 0.8 - 0.01 epoch, G's BCE and the
# full-image term) is taken over from acr_r38_voc.py. Needs data/coco
# prepared by tools/dataset_converters/coco.py and
# pretrained/resnet38d_imagenet.pth
# (tools/model_converters/resnet38d_mxnet.py).
#   python tools/run_pipeline.py configs/acr/acr_r38_coco.py
_base_ = ['./acr_r38_voc.py']
iters_per_epoch = 10260  # 82,081 // 8
max_iters = 3 * iters_per_epoch
model = dict(
    data_preprocessor=dict(num_classes=80),
    head=dict(num_classes=80),
    reconstructor=dict(head=dict(num_classes=80)),
    adversary=dict(
        ru_weights=dict(t=0.2, nt=0.2), cu_weights=dict(t=0.3, nt=0.2)))
# the datasets of configs/_base_/datasets/coco14_cls.py with ACR's pipeline
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='COCOClsDataset',
        data_root='data/coco',
        ann_file='cls_labels_train.txt',
        data_prefix=dict(img_path='train2014'),
        seg_map_dir='SegmentationClass/train2014',
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    batch_size=1,
    dataset=dict(
        _delete_=True,
        type='COCOClsDataset',
        data_root='data/coco',
        ann_file='cls_labels_val.txt',
        data_prefix=dict(img_path='val2014'),
        seg_map_dir='SegmentationClass/val2014',
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
sgd = dict(type='SGD', lr=0.005, momentum=5e-4, weight_decay=5e-4)
optim_wrapper = dict(
    classifier=dict(optimizer=sgd), reconstructor=dict(optimizer=sgd))
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
custom_hooks = [
    dict(type='FiniteLossCheckHook'),
    dict(type='SRFScheduleHook', iters_per_epoch=iters_per_epoch),
]
# seed mIoU of val2014 at the end of each epoch, background 0.05-0.60
train_cfg = dict(
    max_iters=max_iters, val_begin=iters_per_epoch,
    val_interval=iters_per_epoch)
default_hooks = dict(checkpoint=dict(interval=iters_per_epoch))
# CAMs of train2014 -> IR labels (RIB's 0.35 / 0.17) -> IRN on train2014
# (the VOC recipe, 3 epochs at batch 32: 82,081 // 32 x 3 = 7,695
# iterations) -> walk (RIB's COCO background 0.22) -> DeepLab-V2
# (supplement: lr 5e-4, wd 5e-5, batch 8, 30 epochs).
train2014 = dict(
    _delete_=True,  # not the VOC trainaug settings of the base
    ann_file='cls_labels_train.txt',
    data_prefix=dict(img_path='train2014'),
    seg_map_dir='SegmentationClass/train2014')
irn_iters = 7695
stages = dict(
    cams=dict(split=None, dataset=train2014),
    irn_labels=dict(split=None, dataset=train2014),
    irn_train=dict(
        cfg_options={
            'train_dataloader.dataset.data_root': 'data/coco',
            'train_dataloader.dataset.ann_file': 'cls_labels_train.txt',
            'train_dataloader.dataset.data_prefix': dict(
                img_path='train2014'),
            'train_dataloader.dataset.label_source': None,
            'train_cfg.max_iters': irn_iters,
            'param_scheduler.0.end': irn_iters,
            'default_hooks.checkpoint.interval': irn_iters,
        }),
    irn_walk=dict(
        split=None, dataset=train2014, refiner=dict(bg_threshold=0.22)),
    segment=dict(config='configs/deeplab/deeplabv2_r101_coco_pseudo.py'))
