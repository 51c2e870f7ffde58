import json
import os.path as osp

import pytest

from mmwsss import fileio
from mmwsss.datasets import COCO_CAT_IDS, COCO_CLASSES, COCOClsDataset
from mmwsss.registry import DATASETS
from mmwsss.utils import InvalidInputError, MissingInputError
from mmwsss.utils.atomic_io import atomic_write

JSON = 'annotations/instances_train2014.json'


def _image(i):
    return dict(
        id=i, file_name=f'COCO_train2014_{i:012d}.jpg', height=8, width=8)


def _ann(i, image_id, cat, crowd=0):
    return dict(
        id=i,
        image_id=image_id,
        category_id=cat,
        iscrowd=crowd,
        area=4.0,
        bbox=[0, 0, 2, 2],
        segmentation=[[0, 0, 2, 0, 2, 2]])


@pytest.fixture
def coco_root(tmp_path):
    coco = dict(
        images=[_image(1), _image(2), _image(3)],
        annotations=[
            _ann(10, 1, 1),
            _ann(11, 1, 90),
            _ann(12, 1, 1),
            _ann(13, 2, 13, crowd=1),
            _ann(14, 2, 25)
        ],
        categories=[
            dict(id=c, name=n) for c, n in zip(COCO_CAT_IDS, COCO_CLASSES)
        ])
    atomic_write(str(tmp_path / JSON), json.dumps(coco).encode())
    return str(tmp_path)


def test_category_mapping_constants():
    assert len(COCO_CAT_IDS) == len(COCO_CLASSES) == 80
    assert list(COCO_CAT_IDS) == sorted(set(COCO_CAT_IDS))
    assert COCO_CAT_IDS[0] == 1 and COCO_CAT_IDS[-1] == 90
    assert COCO_CLASSES[COCO_CAT_IDS.index(13)] == 'stop sign'


def test_labels_from_json(coco_root):
    ds = DATASETS.build(dict(type='COCOClsDataset', data_root=coco_root))
    assert len(ds.CLASSES) == 80
    assert len(ds) == 2  # image 3 has no annotation: dropped
    first, second = ds.get_data_info(0), ds.get_data_info(1)
    assert first['gt_label'] == [0, 79]
    assert first['img_id'] == 'COCO_train2014_000000000001'
    assert first['img_path'] == osp.join(coco_root, 'train2014',
                                         first['img_id'] + '.jpg')
    assert second['gt_label'] == [11, 23]  # crowd kept by default
    crowdless = COCOClsDataset(data_root=coco_root, skip_crowd=True)
    assert crowdless.get_data_info(1)['gt_label'] == [23]


def test_empty_images_raise_when_not_dropped(coco_root):
    with pytest.raises(
            InvalidInputError,
            match=r"1 image\(s\).*COCO_train2014_000000000003"):
        COCOClsDataset(data_root=coco_root, drop_empty=False)


def test_label_file_and_masks(coco_root):
    atomic_write(
        osp.join(coco_root, 'cls_labels_train.txt'),
        b'COCO_train2014_000000000001 0 79\n')
    fileio.save_label_png(
        osp.join(coco_root, 'SegmentationClass', 'train2014',
                 'COCO_train2014_000000000001.png'), [[0, 1]])
    ds = COCOClsDataset(
        data_root=coco_root,
        ann_file='cls_labels_train.txt',
        seg_map_dir='SegmentationClass/train2014')
    assert len(ds) == 1
    info = ds.get_data_info(0)
    assert info['gt_label'] == [0, 79]
    assert info['seg_map_path'].endswith('COCO_train2014_000000000001.png')


def test_bad_inputs(coco_root, tmp_path):
    with pytest.raises(
            MissingInputError,
            match=r'nope does not exist.*'
            r'images\.cocodataset\.org.*coco\.py'):
        COCOClsDataset(data_root=str(tmp_path / 'nope'))
    with pytest.raises(MissingInputError, match='instances_val2014.json'):
        COCOClsDataset(
            data_root=coco_root, ann_file='annotations/instances_val2014.json')
    path = osp.join(coco_root, JSON)
    atomic_write(
        path,
        json.dumps(dict(images=[_image(1)], annotations=[_ann(5, 1,
                                                              12)])).encode())
    with pytest.raises(
            InvalidInputError,
            match=r'instances_train2014\.json: '
            r'annotation 5 has category_id 12'):
        COCOClsDataset(data_root=coco_root)
    atomic_write(path, b'{"images": [')
    with pytest.raises(InvalidInputError, match='cannot be parsed'):
        COCOClsDataset(data_root=coco_root)
