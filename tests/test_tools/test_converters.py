"""tools/dataset_converters on tiny generated inputs."""
import json
import os.path as osp

import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat

from helpers import load_tool
from mmwsss import fileio
from mmwsss.datasets import VOCClsDataset
from mmwsss.utils import InvalidInputError

voc_aug = load_tool('dataset_converters/voc_aug.py', 'converter_voc_aug')
coco = load_tool('dataset_converters/coco.py', 'converter_coco')

# pycocotools 2.0.11 reference: mask.encode() of M_REF and
# mask.decode(frPyObjects()) of TRIANGLE.
M_REF = np.zeros((7, 9), bool)
M_REF[1:5, 2:7] = M_REF[6] = M_REF[0, 8] = True
M_REF_RLE = '6160K30M030M030M030M030M51OO'
TRIANGLE = [0.5, 0.5, 8.3, 2.2, 3.1, 6.9]
TRIANGLE_REF = np.array(
    [[0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 1, 1, 1, 1, 0, 0, 0, 0],
     [0, 1, 1, 1, 1, 1, 1, 1, 0], [0, 0, 1, 1, 1, 1, 1, 0, 0],
     [0, 0, 1, 1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 0, 0, 0, 0],
     [0, 0, 0, 1, 0, 0, 0, 0, 0]], bool)


def _sbd(tmp_path, masks, train, val):
    root = tmp_path / 'benchmark_RELEASE'
    (root / 'dataset' / 'cls').mkdir(parents=True)
    for img_id, mask in masks.items():
        savemat(
            str(root / 'dataset' / 'cls' / f'{img_id}.mat'),
            dict(GTcls=dict(Segmentation=mask, CategoriesPresent=[1])))
    (root / 'dataset' / 'train.txt').write_text('\n'.join(train) + '\n')
    (root / 'dataset' / 'val.txt').write_text('\n'.join(val) + '\n')
    return str(root)


def test_voc_aug(tiny_voc, tmp_path):
    sbd_masks = {
        '2007_000001': np.full((30, 40), 5, np.uint8),  # VOC's mask wins
        '2008_000003': np.full((28, 36), 5, np.uint8),
        '2009_000010': np.array([[0, 3], [20, 0]], np.uint8),
        '2009_000011': np.array([[0, 0], [0, 1]], np.uint8),
    }
    sbd = _sbd(tmp_path, sbd_masks,
               ['2007_000001', '2009_000010', '2008_000003'], ['2009_000011'])
    voc_mask = osp.join(tiny_voc, 'SegmentationClass', '2008_000003.png')
    indices = fileio.read_label_png(voc_mask, 20)
    indices[0, 0] = 255
    Image.fromarray(fileio.voc_palette()[indices]).save(voc_mask)  # RGB
    counts = voc_aug.convert(tiny_voc, sbd, nproc=2)
    assert counts == dict(masks=5, trainaug=4, from_voc=3)
    trainaug = fileio.read_split(
        osp.join(tiny_voc, 'ImageSets', 'Segmentation', 'trainaug.txt'))
    assert trainaug == [
        '2007_000001', '2007_000002', '2009_000010', '2009_000011'
    ]
    aug = osp.join(tiny_voc, 'SegmentationClassAug')
    assert Image.open(osp.join(aug, '2009_000010.png')).mode == 'P'
    np.testing.assert_array_equal(
        fileio.read_label_png(osp.join(aug, '2009_000010.png'), 20),
        sbd_masks['2009_000010'])
    np.testing.assert_array_equal(
        fileio.read_label_png(osp.join(aug, '2007_000001.png'), 20),
        fileio.read_label_png(
            osp.join(tiny_voc, 'SegmentationClass', '2007_000001.png'), 20))
    np.testing.assert_array_equal(
        fileio.read_label_png(osp.join(aug, '2008_000003.png'), 20), indices)
    labels = fileio.read_cls_labels(osp.join(tiny_voc, 'cls_labels.txt'), 20)
    assert labels == {
        '2007_000001': [7],
        '2007_000002': [11, 14],
        '2008_000003': [0, 19],
        '2009_000010': [2, 19],
        '2009_000011': [0]
    }
    ds = VOCClsDataset(
        data_root=tiny_voc,
        split='trainaug',
        label_source='file',
        seg_map_dir='SegmentationClassAug')
    assert [ds.get_data_info(i)['gt_label']
            for i in range(4)] == [labels[i] for i in trainaug]


def test_voc_aug_errors(tiny_voc, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        voc_aug.main([tiny_voc, str(tmp_path / 'missing')])
    assert exc.value.code == 2
    assert 'benchmark.tgz' in capsys.readouterr().err
    sbd = _sbd(tmp_path, {'2009_000010': np.full((2, 2), 30, np.uint8)},
               ['2009_000010'], ['2009_000010'])
    with pytest.raises(
            InvalidInputError, match=r'2009_000010\.mat holds values \[30\]'):
        voc_aug.convert(tiny_voc, sbd)
    voc_mask = osp.join(tiny_voc, 'SegmentationClass', '2007_000001.png')
    Image.fromarray(np.full((2, 2, 3), 7, np.uint8)).save(voc_mask)
    with pytest.raises(
            InvalidInputError,
            match=r'2007_000001\.png has '
            r"colours \['#070707'\]"):
        voc_aug.read_voc_mask(voc_mask)


def test_rle_and_polygon_match_pycocotools():
    counts = coco.decode_rle_string(M_REF_RLE)
    np.testing.assert_array_equal(coco.rle_to_mask(counts, 7, 9), M_REF)
    np.testing.assert_array_equal(
        coco.polygon_to_mask(TRIANGLE, 7, 9), TRIANGLE_REF)
    square = coco.polygon_to_mask([1, 1, 7, 1, 7, 5, 1, 5], 7, 9)
    assert square[1:5, 1:7].all() and square.sum() == 24


def _coco_root(tmp_path, annotations):
    images = [
        dict(
            id=1,
            file_name='COCO_train2014_000000000001.jpg',
            height=7,
            width=9),
        dict(
            id=2,
            file_name='COCO_train2014_000000000002.jpg',
            height=4,
            width=4)
    ]
    path = tmp_path / 'coco' / 'annotations' / 'instances_train2014.json'
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(dict(images=images, annotations=annotations)))
    return str(tmp_path / 'coco')


def test_coco_converter(tmp_path, capsys):
    root = _coco_root(tmp_path, [
        dict(
            id=1,
            image_id=1,
            category_id=1,
            iscrowd=0,
            area=24,
            segmentation=[[1, 1, 7, 1, 7, 5, 1, 5]]),
        dict(
            id=2,
            image_id=1,
            category_id=90,
            iscrowd=0,
            area=30,
            segmentation=dict(size=[7, 9], counts=M_REF_RLE)),
        dict(
            id=3,
            image_id=1,
            category_id=13,
            iscrowd=1,
            area=7,
            segmentation=dict(size=[7, 9], counts=[56, 7])),
    ])
    coco.main([root, '--splits', 'train'])
    assert '1 without annotations left out' in capsys.readouterr().out
    seg_dir = osp.join(root, 'SegmentationClass', 'train2014')
    seg = fileio.read_label_png(
        osp.join(seg_dir, 'COCO_train2014_000000000001.png'), 80)
    expected = np.where(M_REF, 80, 0)  # the larger toothbrush first,
    expected[1:5, 1:7] = 1  # the person drawn over it,
    expected[1:6, 8] = 255  # crowd where nothing else is
    np.testing.assert_array_equal(seg, expected)
    assert not fileio.read_label_png(
        osp.join(seg_dir, 'COCO_train2014_000000000002.png'), 80).any()
    with open(osp.join(root, 'cls_labels_train.txt')) as f:
        assert f.read() == 'COCO_train2014_000000000001 0 11 79\n'


def test_coco_converter_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        coco.main([str(tmp_path / 'none')])
    assert exc.value.code == 2
    assert 'images.cocodataset.org' in capsys.readouterr().err
    root = _coco_root(tmp_path, [
        dict(
            id=7,
            image_id=1,
            category_id=1,
            iscrowd=1,
            segmentation=dict(size=[7, 9], counts=[5, 7]))
    ])
    with pytest.raises(
            InvalidInputError,
            match=r'instances_train2014\.json:'
            r' annotation 7 has no usable segmentation'):
        coco.convert_split(root, 'train')
