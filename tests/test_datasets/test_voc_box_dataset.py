import os.path as osp

import numpy as np
import pytest

from mmwsss import fileio
from mmwsss.datasets import TOY_CLASSES, VOCBoxDataset
from mmwsss.registry import DATASETS
from mmwsss.utils import InvalidInputError, MissingInputError


def test_voc_boxes(tiny_voc):
    ds = DATASETS.build(
        dict(type='VOCBoxDataset', data_root=tiny_voc, split='train'))
    first, second = ds.get_data_info(0), ds.get_data_info(1)
    assert first['img_id'] == '2007_000001'
    assert (first['width'], first['height']) == (40, 30)
    # a single <object> gives one box, coordinates as written (1-based)
    assert first['gt_bboxes'].dtype == np.float32
    np.testing.assert_array_equal(first['gt_bboxes'], [[3, 4, 20, 25]])
    assert first['gt_bboxes_labels'].dtype == np.int64
    assert first['gt_bboxes_labels'].tolist() == [7]
    assert first['gt_label'] == [7]
    assert first['seg_map_path'].endswith('2007_000001.png')
    np.testing.assert_array_equal(second['gt_bboxes'],
                                  [[1, 1, 32, 32], [10, 10, 20, 20]])
    assert second['gt_bboxes_labels'].tolist() == [14, 11]
    assert second['gt_difficult'].tolist() == [False, True]
    assert second['gt_truncated'].dtype == bool
    assert second['gt_label'] == [11, 14]


def test_drop_difficult(tiny_voc):
    ds = VOCBoxDataset(data_root=tiny_voc, keep_difficult=False)
    info = ds.get_data_info(1)
    assert info['gt_bboxes'].shape == (1, 4)
    assert info['gt_label'] == [14]


def test_toy_boxes_match_labels(toy_voc):
    ds = VOCBoxDataset(
        data_root=toy_voc, split='val', metainfo=dict(classes=TOY_CLASSES))
    table = fileio.read_cls_labels(osp.join(toy_voc, 'cls_labels.txt'), 6)
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        assert info['gt_label'] == table[info['img_id']]
        boxes = info['gt_bboxes']
        assert ((boxes[:, :2] >= 1) & (boxes[:, 2:] <= 64)).all()


def test_box_outside_image_names_xml_and_object(tiny_voc, xml_writer):
    path = osp.join(tiny_voc, 'Annotations', '2007_000002.xml')
    xml_writer(path, (32, 32), [('person', 1, 1, 32, 32, 0),
                                ('dog', 10, 10, 33, 20, 0)])
    with pytest.raises(
            InvalidInputError,
            match=r'2007_000002\.xml: object 1 '
            r'\(dog\) has box \(10, 10, 33, 20\) outside'):
        VOCBoxDataset(data_root=tiny_voc)


def test_image_without_boxes(tiny_voc, xml_writer):
    xml_writer(
        osp.join(tiny_voc, 'Annotations', '2007_000001.xml'), (40, 30), [])
    with pytest.raises(InvalidInputError, match='2007_000001'):
        VOCBoxDataset(data_root=tiny_voc)
    ds = VOCBoxDataset(data_root=tiny_voc, drop_empty=True)
    assert len(ds) == 1


def test_missing_xml_and_root(tiny_voc, tmp_path):
    with pytest.raises(MissingInputError, match='host.robots.ox.ac.uk'):
        VOCBoxDataset(data_root=str(tmp_path / 'none'))
    with pytest.raises(
            MissingInputError,
            match=r'Annotations_x/2007_000001'
            r'\.xml does not exist'):
        VOCBoxDataset(data_root=tiny_voc, ann_dir='Annotations_x')
