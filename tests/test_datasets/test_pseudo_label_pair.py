"""BANA's pseudo-label pair: dataset ``ret_dir``, LoadPseudoLabelPair,
PackPseudoLabelPair and the mask_fin rule."""
import os
import os.path as osp

import numpy as np
import pytest
import torch

from mmwsss import fileio
from mmwsss.datasets import TOY_CLASSES
from mmwsss.datasets.transforms import (
    LoadPseudoLabelPair,
    PackPseudoLabelPair,
    reliable_label,
)
from mmwsss.registry import DATASETS
from mmwsss.utils import MissingInputError

SPLIT = 'ImageSets/Segmentation/train.txt'


def to_ret(crf: np.ndarray) -> np.ndarray:
    """Y_ret as a pixelwise function of Y_crf: equal below 4 (and at 255),
    a different class above."""
    ret = crf.copy()
    high = (crf >= 4) & (crf != 255)
    ret[high] = (crf[high] + 1) % 7
    return ret


@pytest.fixture
def pair_dirs(toy_voc, tmp_path):
    """Random per-pixel Y_crf (any misalignment breaks ``to_ret``) and
    Y_ret in ``pseudo/`` and ``pseudo_ret/``."""
    rng = np.random.default_rng(0)
    pseudo, ret = str(tmp_path / 'pseudo'), str(tmp_path / 'pseudo_ret')
    for img_id in fileio.read_split(osp.join(toy_voc, SPLIT)):
        crf = rng.integers(0, 7, (64, 64)).astype(np.uint8)
        crf[:3] = 255
        fileio.save_label_png(osp.join(pseudo, f'{img_id}.png'), crf)
        fileio.save_label_png(osp.join(ret, f'{img_id}.png'), to_ret(crf))
    return pseudo, ret


def dataset(toy_voc, pseudo, pipeline=(), **kwargs):
    return DATASETS.build(
        dict(
            type='PseudoLabelSegDataset',
            data_root=toy_voc,
            ann_file=SPLIT,
            data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo),
            metainfo=dict(classes=('background', ) + TOY_CLASSES),
            pipeline=list(pipeline),
            **kwargs))


def test_ret_dir_beside_pseudo_dir(toy_voc, pair_dirs):
    pseudo, ret = pair_dirs
    ds = dataset(toy_voc, pseudo, ret_dir='pseudo_ret', verify_images=True)
    info = ds.get_data_info(0)
    assert info['ret_map_path'] == osp.join(
        ret, osp.basename(info['seg_map_path']))
    # absolute folders are kept; without ret_dir nothing changes
    ds = dataset(toy_voc, pseudo, ret_dir=ret)
    assert ds.get_data_info(1)['ret_map_path'].startswith(ret)
    assert 'ret_map_path' not in dataset(toy_voc, pseudo).get_data_info(0)


def test_missing_ret_labels(toy_voc, pair_dirs):
    pseudo, ret = pair_dirs
    with pytest.raises(MissingInputError, match='Y_ret folder .*nothing'):
        dataset(toy_voc, pseudo, ret_dir='nothing')
    first = sorted(os.listdir(ret))[0]
    os.remove(osp.join(ret, first))
    with pytest.raises(MissingInputError, match=f'no Y_ret .*{first}'):
        dataset(toy_voc, pseudo, ret_dir='pseudo_ret')


def test_pair_stays_aligned_under_resize_crop_flip(toy_voc, pair_dirs):
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadPseudoLabelPair'),
        dict(
            type='RandomResize',
            scale=(64, 64),
            ratio_range=(0.5, 1.5),
            keep_ratio=True),
        dict(type='RandomCrop', crop_size=(40, 40)),
        dict(type='RandomFlip', prob=1.0),
    ]
    ds = dataset(toy_voc, pair_dirs[0], pipeline, ret_dir='pseudo_ret')
    np.random.seed(0)
    scales = set()
    for i in range(6):
        out = ds[i]
        crf, ret = out['gt_seg_map'], out['gt_seg_map_ret']
        assert out['seg_fields'] == ['gt_seg_map', 'gt_seg_map_ret']
        assert crf.shape == ret.shape == out['img'].shape[:2]
        assert np.array_equal(ret, to_ret(crf))
        scales.add(out['scale_factor'])
        # nearest resizing: no new label values
        assert set(np.unique(crf)) <= set(range(7)) | {255}
    assert len(scales) == 6  # a random scale per sample
    assert out['flip'] is True


def test_pack_forms_mask_fin_after_augmentation(toy_voc, pair_dirs):
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadPseudoLabelPair'),
        dict(type='RandomCrop', crop_size=(32, 48)),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackPseudoLabelPair'),
    ]
    ds = dataset(toy_voc, pair_dirs[0], pipeline, ret_dir='pseudo_ret')
    sample = ds[0]['data_samples']
    crf = sample.gt_sem_seg.data
    fin = sample.gt_sem_seg_reliable.data
    assert crf.shape == fin.shape == (1, 32, 48)
    assert fin.dtype == torch.int64
    # Y_crf == Y_ret exactly where Y_crf < 4 or both are 255
    expected = torch.where(crf < 4, crf, torch.full_like(crf, 255))
    assert torch.equal(fin, expected)


def test_reliable_label_rule():
    crf = np.array([[0, 1, 2], [3, 255, 255]], np.uint8)
    ret = np.array([[0, 2, 2], [1, 255, 4]], np.uint8)
    fin = reliable_label(crf, ret)
    assert fin.dtype == np.uint8
    assert fin.tolist() == [[0, 255, 2], [255, 255, 255]]
    fin_t = reliable_label(torch.from_numpy(crf), torch.from_numpy(ret))
    assert fin_t.tolist() == fin.tolist()
    with pytest.raises(ValueError, match='shape'):
        reliable_label(crf, ret[:1])


def test_transform_errors(toy_voc, pair_dirs):
    info = dataset(toy_voc, pair_dirs[0]).get_data_info(0)
    with pytest.raises(KeyError, match='ret_dir'):
        LoadPseudoLabelPair()(info)
    with pytest.raises(KeyError, match='LoadPseudoLabelPair'):
        PackPseudoLabelPair()(
            dict(gt_seg_map=np.zeros((2, 2), np.uint8)))
