"""COCO end to end without COCO: toy COCO generator -> COCO converter ->
COCOClsDataset -> CAMs -> pseudo labels -> the toy COCO DeepLab, with the
category-id mapping checked at every step."""
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from helpers import ROOT, load_tool
from mmwsss import fileio
from mmwsss.apis import PipelineRunner
from mmwsss.datasets import TOY_CLASSES
from mmwsss.datasets.toy_coco import TOY_COCO_CATEGORIES, make_toy_coco

coco = load_tool('dataset_converters/coco.py', 'converter_coco_toy')
CONFIG = osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toycoco.py')
SEG_CONFIG = osp.join(ROOT, 'configs', 'deeplab',
                      'deeplabv2_r18_toycoco_pseudo.py')


def _loaders(root, batch_size=4):
    return {
        f'{loader}.{key}': value
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader') for key, value in (
                           ('dataset.data_root', root),
                           ('batch_size', batch_size),
                           ('num_workers', 0),
                           ('persistent_workers', False))
    }


def _short(root):
    """2 iterations of each training stage on ``root``."""
    return {
        **_loaders(root),
        'train_cfg.max_iters': 2,
        'train_cfg.val_interval': 2,
        'default_hooks.checkpoint.interval': 2,
    }


@pytest.fixture(scope='module')
def toy_coco_root(tmp_path_factory):
    root = make_toy_coco(
        str(tmp_path_factory.mktemp('toycoco')),
        seed=1,
        num_train=20,
        num_val=10,
        size=64)
    coco.main([root])
    return root


@pytest.mark.slow
def test_toy_coco_pipeline_keeps_the_category_mapping(toy_coco_root,
                                                       tmp_path):
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict({
        **_short(toy_coco_root), 'stages.cams.batch_size': 4,
        'stages.refine.nproc': 1
    })
    cfg.stages.segment.config = SEG_CONFIG
    cfg.stages.segment.cfg_options = _short(toy_coco_root)
    work_dir = str(tmp_path / 'run')
    report = PipelineRunner(cfg, work_dir, 'toycoco').run()
    stages = report['stages']
    assert {name: s['status'] for name, s in stages.items()} == dict(
        train='ran', cams='ran', refine='ran', segment='ran')
    # the labelled train images: 20 minus the two without objects
    labels = fileio.read_cls_labels(
        osp.join(toy_coco_root, 'cls_labels_train.txt'), 6)
    assert len(labels) == 18
    assert stages['cams']['count'] == stages['refine']['count'] == 18
    assert 'cam/mIoU_best' in stages['cams']['metrics']
    assert 'pseudo/mIoU' in stages['refine']['metrics']
    assert 'single/mIoU' in stages['segment']['metrics']
    assert 'ms_flip/mIoU' in stages['segment']['metrics']
    # per-class scores carry the toy names in label order
    per_class = stages['refine']['metrics']['pseudo/IoU_per_class']
    assert list(per_class)[-6:] == list(TOY_CLASSES), per_class
    # CAM keys and pseudo-label values follow label = ascending category id
    cam_dir = osp.join(work_dir, 'cams', 'cams')
    pseudo_dir = osp.join(work_dir, 'refine', 'pseudo')
    assert sorted(os.listdir(pseudo_dir)) == sorted(f'{i}.png'
                                                    for i in labels)
    for img_id, present in labels.items():
        keys, _ = fileio.load_cams(
            osp.join(cam_dir, f'{img_id}.npz'), (64, 64))
        assert sorted(keys.tolist()) == present
        pseudo = fileio.read_label_png(
            osp.join(pseudo_dir, f'{img_id}.png'), 6)
        values = set(np.unique(pseudo).tolist()) - {0, 255}
        assert values <= {label + 1 for label in present}


def test_toy_coco_category_ids_are_not_label_order():
    ids = [cat_id for cat_id, _ in TOY_COCO_CATEGORIES]
    assert ids == sorted(ids) and ids != list(range(1, 7))
    assert [name for _, name in TOY_COCO_CATEGORIES] == list(TOY_CLASSES)
