"""PackBoxInputs and the BANA stage-1 pipeline on the toy VOC."""
import numpy as np
import torch
from mmengine.dataset import pseudo_collate

from mmwsss.datasets.toy_voc import TOY_CLASSES
from mmwsss.datasets.transforms import boxes_to_bg_mask
from mmwsss.registry import DATASETS, MODELS, TRANSFORMS

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadBoxBackgroundMask'),
    dict(type='BoxRandomRescale', ratio_range=(0.5, 1.5)),
    dict(type='BoxPadRandomCrop', crop_size=48, clip_mode='fixed'),
    dict(type='BoxRandomFlip', prob=0.5),
    dict(type='FixedOrderColorJitter'),
    dict(type='PackBoxInputs'),
]


def test_pack_fields():
    results = dict(
        img=np.zeros((6, 7, 3), np.uint8),
        gt_bboxes=np.array([[1, 2, 3, 4]], np.float32),
        gt_bboxes_labels=np.array([4]),
        gt_difficult=np.array([True]),
        bg_mask=np.ones((6, 7), np.uint8),
        gt_label=[4],
        img_id='x',
        img_shape=(6, 7))
    packed = TRANSFORMS.build(
        dict(type='PackBoxInputs', box_keys=('gt_difficult', )))(results)
    sample = packed['data_samples']
    assert packed['inputs'].shape == (3, 6, 7)
    assert sample.gt_bboxes.dtype == torch.float32
    assert sample.gt_bboxes.tolist() == [[1, 2, 3, 4]]
    assert sample.gt_bboxes_labels.dtype == torch.int64
    assert sample.bg_mask.shape == (6, 7)
    assert sample.gt_difficult.tolist() == [True]
    assert sample.gt_label.tolist() == [4]
    assert sample.img_id == 'x'


def test_toy_pipeline_keeps_boxes_and_mask_consistent(toy_voc):
    dataset = DATASETS.build(
        dict(
            type='VOCBoxDataset',
            data_root=toy_voc,
            split='train',
            metainfo=dict(classes=TOY_CLASSES),
            pipeline=PIPELINE))
    np.random.seed(0)
    batch = [dataset[i] for i in range(6)]
    for item in batch:
        sample = item['data_samples']
        assert item['inputs'].shape == (3, 48, 48)
        boxes = sample.gt_bboxes.numpy()
        assert boxes.shape[1] == 4 and (boxes[:, 2:] >= boxes[:, :2]).all()
        assert boxes.min() >= 0 and boxes.max() <= 48
        mask = sample.bg_mask.numpy()
        # outside every box is background except the padding (0); inside a
        # box is never background, up to the rescale's edge rounding
        ref = boxes_to_bg_mask(boxes, (48, 48))
        assert (mask <= ref).mean() > 0.97
        assert sorted(set(sample.gt_bboxes_labels.tolist())) == \
            sample.gt_label.tolist()
    # the classifier's data preprocessor takes the packed batch
    preprocessor = MODELS.build(
        dict(type='mmpretrain.ClsDataPreprocessor', to_onehot=True,
             num_classes=6))
    data = preprocessor(pseudo_collate(batch), training=True)
    assert data['inputs'].shape == (6, 3, 48, 48)
    assert data['data_samples'][0].gt_score.shape == (6, )


def test_empty_crop_packs_no_boxes():
    results = dict(
        img=np.zeros((30, 30, 3), np.uint8),
        gt_bboxes=np.array([[0, 0, 2, 2]], np.float32),
        gt_bboxes_labels=np.array([1]),
        gt_label=[1],
        bg_mask=boxes_to_bg_mask(np.array([[0, 0, 2, 2]]), (30, 30)))
    crop = TRANSFORMS.build(dict(type='BoxPadRandomCrop', crop_size=10))
    crop._random_offset = lambda h, w: (15, 15)
    packed = TRANSFORMS.build(dict(type='PackBoxInputs'))(crop(results))
    sample = packed['data_samples']
    assert sample.gt_bboxes.shape == (0, 4)
    assert sample.gt_bboxes_labels.shape == (0, )
    preprocessor = MODELS.build(
        dict(type='mmpretrain.ClsDataPreprocessor', to_onehot=True,
             num_classes=6))
    data = preprocessor(pseudo_collate([packed]), training=True)
    assert data['data_samples'][0].gt_score.sum() == 0
