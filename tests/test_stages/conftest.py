"""Fixtures of the stage 2-4 tests: toy datasets and synthetic CAMs."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from scipy import ndimage

from mmwsss import fileio
from mmwsss.datasets import TOY_CLASSES, VOCClsDataset
from mmwsss.fileio import save_cams

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY_CFG = osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toy.py')


def toy_data_list(root, split='train'):
    dataset = VOCClsDataset(
        data_root=root,
        split=split,
        label_source='file',
        metainfo=dict(classes=TOY_CLASSES))
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def write_synthetic_cams(data_list, cam_dir, shift=3):
    """CAMs made from the ground truth: each present class's mask, shifted
    and blurred, max-normalised."""
    for info in data_list:
        gt = fileio.read_label_png(info['seg_map_path'], len(TOY_CLASSES))
        keys = np.array(fileio.labels_from_mask(gt), np.int64)
        cams = []
        for key in keys:
            mask = np.roll(gt == key + 1, shift, axis=1).astype(np.float64)
            cam = ndimage.gaussian_filter(mask, 2)
            cams.append(cam / max(cam.max(), 1e-6))
        cams = np.stack(cams) if cams else np.zeros((0, ) + gt.shape)
        save_cams(osp.join(cam_dir, f'{info["img_id"]}.npz'), cams, keys)


@pytest.fixture(scope='session')
def toy_train(toy_voc):
    return toy_data_list(toy_voc, 'train')


@pytest.fixture(scope='session')
def toy_cams(toy_train, tmp_path_factory):
    """Synthetic CAMs of the toy train split; treat as read-only."""
    cam_dir = str(tmp_path_factory.mktemp('cams'))
    write_synthetic_cams(toy_train, cam_dir)
    return cam_dir


@pytest.fixture
def cam_helpers():
    """(toy_data_list, write_synthetic_cams) for tests with own datasets."""
    return toy_data_list, write_synthetic_cams


def loader_opts(prefix, root, batch_size=4):
    return {
        f'{prefix}.dataset.data_root': root,
        f'{prefix}.batch_size': batch_size,
        f'{prefix}.num_workers': 0,
        f'{prefix}.persistent_workers': False,
    }


def toy_cfg(root, segment=True) -> Config:
    """The demo config shrunk to 2 iterations per training stage on
    ``root``, with a threshold refiner (fast)."""
    cfg = Config.fromfile(TOY_CFG)
    options = {
        **loader_opts('train_dataloader', root),
        **loader_opts('val_dataloader', root),
        **loader_opts('test_dataloader', root),
        'train_cfg.max_iters': 2,
        'train_cfg.val_interval': 2,
        'default_hooks.checkpoint.interval': 2,
        'stages.cams.batch_size': 4,
        'stages.refine.nproc': 1,
    }
    seg = {
        **loader_opts('train_dataloader', root),
        **loader_opts('val_dataloader', root),
        **loader_opts('test_dataloader', root),
        'train_cfg.max_iters': 2,
        'train_cfg.val_interval': 2,
        'default_hooks.checkpoint.interval': 2,
    }
    cfg.merge_from_dict(options)
    cfg.stages.refine.refiner = dict(
        type='ThresholdRefiner', bg_threshold=0.5)
    if segment:
        cfg.stages.segment.config = osp.join(
            ROOT, 'configs', 'deeplab', 'deeplabv2_r18_toy_pseudo.py')
        cfg.stages.segment.cfg_options = seg
    else:
        cfg.stages.pop('segment')
    return cfg


@pytest.fixture
def toy_pipeline_cfg():
    """``toy_cfg(root, segment=True)``: the demo config, 2 iterations."""
    return toy_cfg
