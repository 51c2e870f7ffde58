"""AffinityLabelDataset: data infos on the toy VOC, label_dir resolution,
clear errors when the affinity labels are missing, one packed sample."""
import os
import os.path as osp

import numpy as np
import pytest
import torch

from mmwsss import fileio
from mmwsss.datasets import TOY_CLASSES, AffinityLabelDataset
from mmwsss.ops import search_directions
from mmwsss.registry import DATASETS
from mmwsss.utils import InvalidInputError, MissingInputError


def train_ids(root):
    return fileio.read_split(
        osp.join(root, 'ImageSets', 'Segmentation', 'train.txt'))


def write_crf_scores(root, label_dir, ids=None, keys=(0, 2), size=64):
    """Uniform score files (bg and two classes) for ``ids``."""
    os.makedirs(label_dir, exist_ok=True)
    for img_id in ids if ids is not None else train_ids(root):
        scores = np.full((len(keys) + 1, size, size), 1 / 3, np.float32)
        np.savez(osp.join(label_dir, img_id + '.npz'),
                 keys=np.asarray(keys, np.int64), scores_lo=scores,
                 scores_hi=scores)


def build(root, **kwargs):
    cfg = dict(type='AffinityLabelDataset', data_root=root, split='train',
               metainfo=dict(classes=TOY_CLASSES))
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_data_infos(toy_voc, tmp_path):
    label_dir = str(tmp_path / 'crf')
    write_crf_scores(toy_voc, label_dir)
    dataset = build(toy_voc, label_dir=label_dir)
    assert isinstance(dataset, AffinityLabelDataset)
    ids = train_ids(toy_voc)
    assert len(dataset) == len(ids) == 24
    info = dataset.get_data_info(0)
    assert info['img_id'] == ids[0]
    assert info['img_path'] == osp.join(toy_voc, 'JPEGImages',
                                        ids[0] + '.jpg')
    assert info['aff_label_path'] == osp.join(label_dir, ids[0] + '.npz')
    assert info['gt_label']  # image labels as VOCClsDataset ('file')
    assert 'Label dir' in repr(dataset)
    # no image labels at all
    info = build(toy_voc, label_dir=label_dir,
                 label_source=None).get_data_info(0)
    assert 'gt_label' not in info and info['img_id'] == ids[0]


def test_relative_label_dir_and_png_suffix(tmp_path):
    from mmwsss.datasets import make_toy_voc
    root = make_toy_voc(str(tmp_path / 'toy'), num_train=3, num_val=1,
                        size=32)
    os.makedirs(osp.join(root, 'ir_label'))
    for img_id in train_ids(root):
        fileio.save_label_png(osp.join(root, 'ir_label', img_id + '.png'),
                              np.zeros((32, 32), np.uint8))
    dataset = build(root, label_dir='ir_label', label_suffix='.png')
    assert [info['aff_label_path'] for info in dataset.load_data_list()
            ] == [osp.join(root, 'ir_label', i + '.png')
                  for i in train_ids(root)]


def test_clear_errors_without_labels(toy_voc, tmp_path):
    with pytest.raises(InvalidInputError, match='needs label_dir'):
        build(toy_voc)
    with pytest.raises(MissingInputError, match='affinity-label stage'):
        build(toy_voc, label_dir=str(tmp_path / 'none'))
    label_dir = str(tmp_path / 'crf')
    ids = train_ids(toy_voc)
    write_crf_scores(toy_voc, label_dir, ids[:20])
    with pytest.raises(MissingInputError, match='4 of the 24') as err:
        build(toy_voc, label_dir=label_dir)
    assert ids[20] in str(err.value)
    assert 'affinity-label stage' in str(err.value)


def test_packed_sample(toy_voc, tmp_path):
    label_dir = str(tmp_path / 'crf')
    write_crf_scores(toy_voc, label_dir)
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadCRFScorePair'),
        dict(type='mmpretrain.ColorJitter', brightness=0.3, contrast=0.3,
             saturation=0.3, hue=0.1),
        dict(type='PSARandomCrop', crop_size=64),
        dict(type='JointRandomFlip', prob=0.5),
        # the 8 x 8 grid of a 64 crop is too narrow for psa's radius 5;
        # AEFT's rule gives 3
        dict(type='CRFAffinityLabel', stride=8, radius=5,
             radius_rule='aeft'),
        dict(type='PackAffinityInputs'),
    ]
    dataset = build(toy_voc, label_dir=label_dir, pipeline=pipeline)
    sample = dataset[0]
    assert sample['inputs'].shape == (3, 64, 64)
    assert sample['inputs'].dtype == torch.uint8
    data = sample['data_samples']
    assert data.aff_radius == 3 and data.img_id == train_ids(toy_voc)[0]
    # uniform scores: la = ha = 0 everywhere -> all background pairs
    assert data.bg_pos.shape == (len(search_directions(3)),
                                 (8 - 3 + 1) * (8 - 6 + 2))
    assert torch.equal(data.bg_pos, torch.ones_like(data.bg_pos))
    assert data.fg_pos.sum() == 0 and data.neg.sum() == 0
