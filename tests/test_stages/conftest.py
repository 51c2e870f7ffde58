"""Fixtures of the stage 2-4 tests: toy datasets and synthetic CAMs."""
import os.path as osp

import numpy as np
import pytest
from scipy import ndimage

from mmwsss.stages import save_cams
from mmwsss.datasets import TOY_CLASSES, VOCClsDataset, voc_io


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
        gt = voc_io.read_label_png(info['seg_map_path'], len(TOY_CLASSES))
        keys = np.array(voc_io.labels_from_mask(gt), np.int64)
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
