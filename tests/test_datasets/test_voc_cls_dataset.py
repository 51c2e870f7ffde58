import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from mmwsss import fileio
from mmwsss.datasets import TOY_CLASSES, VOCClsDataset
from mmwsss.registry import DATASETS
from mmwsss.utils import InvalidInputError, MissingInputError
from mmwsss.utils.atomic_io import atomic_write

TOY_META = dict(classes=TOY_CLASSES)


@pytest.mark.parametrize('source', ['seg', 'xml', 'file'])
def test_toy_labels_agree_across_sources(toy_voc, source):
    ds = DATASETS.build(
        dict(
            type='VOCClsDataset',
            data_root=toy_voc,
            split='val',
            label_source=source,
            metainfo=TOY_META))
    table = fileio.read_cls_labels(osp.join(toy_voc, 'cls_labels.txt'), 6)
    assert len(ds) == 8 and ds.CLASSES == TOY_CLASSES
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        assert info['gt_label'] == table[info['img_id']]
        assert info['img_path'] == osp.join(toy_voc, 'JPEGImages',
                                            info['img_id'] + '.jpg')
        assert info['seg_map_path'] == osp.join(toy_voc, 'SegmentationClass',
                                                info['img_id'] + '.png')


def test_voc_labels(tiny_voc):
    ds = VOCClsDataset(data_root=tiny_voc, split='train')
    assert len(ds.CLASSES) == 20
    assert [ds.get_data_info(i)['gt_label'] for i in range(2)] == [[7],
                                                                   [11, 14]]
    xml = VOCClsDataset(
        data_root=tiny_voc, label_source='xml', keep_difficult=False)
    assert xml.get_data_info(1)['gt_label'] == [14]  # the dog is difficult
    val = VOCClsDataset(
        data_root=tiny_voc,
        ann_file='ImageSets/Segmentation/val.txt',
        label_source='xml')
    assert val.get_data_info(0)['gt_label'] == [0, 19]
    assert val.get_cat_ids(0) == [0, 19]


def test_pipeline_packs_labels_and_meta(toy_voc):
    ds = DATASETS.build(
        dict(
            type='VOCClsDataset',
            data_root=toy_voc,
            split='train',
            label_source='file',
            metainfo=TOY_META,
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(
                    type='mmpretrain.PackInputs',
                    meta_keys=('img_path', 'img_id', 'seg_map_path',
                               'ori_shape'))
            ]))
    out = ds[0]
    assert out['inputs'].shape == (3, 64, 64)
    sample = out['data_samples']
    info = ds.get_data_info(0)
    assert torch.equal(sample.gt_label, torch.tensor(info['gt_label']))
    assert sample.img_id == info['img_id'] == 'toy_000000'
    assert sample.seg_map_path.endswith('SegmentationClass/toy_000000.png')


def test_missing_data_root_says_what_to_download(tmp_path):
    with pytest.raises(
            MissingInputError,
            match=r'nowhere does not exist.*'
            r'host\.robots\.ox\.ac\.uk.*benchmark\.tgz.*'
            r'voc_aug\.py.*make_toy_voc\.py --out data/toyvoc'):
        VOCClsDataset(data_root=str(tmp_path / 'nowhere'))


def test_missing_split_names_file_and_converter(tiny_voc):
    with pytest.raises(
            MissingInputError,
            match=r'Segmentation/trainaug\.txt '
            r'does not exist.*voc_aug\.py'):
        VOCClsDataset(data_root=tiny_voc, split='trainaug')


def test_label_file_problems(tiny_voc):
    path = osp.join(tiny_voc, 'cls_labels.txt')
    with pytest.raises(MissingInputError, match='cls_labels.txt'):
        VOCClsDataset(data_root=tiny_voc, label_source='file')
    atomic_write(path, b'2007_000001 7\n')
    with pytest.raises(InvalidInputError, match="no line for '2007_000002'"):
        VOCClsDataset(data_root=tiny_voc, label_source='file')


def test_image_without_labels(tiny_voc):
    seg = osp.join(tiny_voc, 'SegmentationClass', '2007_000002.png')
    fileio.save_label_png(seg, np.full((32, 32), 255, np.uint8))
    with pytest.raises(
            InvalidInputError,
            match=r"1 image\(s\) have no "
            r"foreground label.*'2007_000002'.*drop_empty"):
        VOCClsDataset(data_root=tiny_voc)
    ds = VOCClsDataset(data_root=tiny_voc, drop_empty=True)
    assert [ds.get_data_info(i)['img_id']
            for i in range(len(ds))] == ['2007_000001']


def test_bad_label_pngs(tiny_voc):
    seg = osp.join(tiny_voc, 'SegmentationClass', '2007_000001.png')
    Image.fromarray(np.zeros((30, 40, 3), np.uint8)).save(seg)
    with pytest.raises(
            InvalidInputError,
            match=r'2007_000001\.png has mode '
            r"'RGB'.*voc_aug\.py"):
        VOCClsDataset(data_root=tiny_voc)
    fileio.save_label_png(seg, np.full((30, 40), 21, np.uint8))
    with pytest.raises(
            InvalidInputError, match=r'2007_000001\.png holds '
            r'values \[21\]'):
        VOCClsDataset(data_root=tiny_voc)


def test_verify_images_option(tiny_voc):
    img = osp.join(tiny_voc, 'JPEGImages', '2007_000002.jpg')
    VOCClsDataset(data_root=tiny_voc, verify_images=True)
    with open(img, 'wb') as f:
        f.write(b'\xff\xd8garbage')
    VOCClsDataset(data_root=tiny_voc)  # lazy by default
    with pytest.raises(
            InvalidInputError, match='2007_000002.jpg is '
            'unreadable'):
        VOCClsDataset(data_root=tiny_voc, verify_images=True)


def test_bad_label_source(tiny_voc):
    with pytest.raises(ValueError, match='label_source'):
        VOCClsDataset(data_root=tiny_voc, label_source='json')
