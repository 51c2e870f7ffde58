import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmpretrain.structures import DataSample

from mmwsss import fileio
from mmwsss.registry import METRICS
from mmwsss.utils import InvalidInputError

CLASSES = ('a', 'b')


def make_sample(tmp_path, name, gt, cams, keys):
    sample = DataSample(metainfo=dict(img_path=f'{name}.jpg'))
    if gt is not None:
        path = osp.join(str(tmp_path), f'{name}.png')
        fileio.save_label_png(path, np.asarray(gt, np.uint8))
        sample.set_metainfo(dict(seg_map_path=path))
    sample.set_field(torch.as_tensor(cams, dtype=torch.float32), 'cams')
    sample.set_field(torch.as_tensor(keys), 'cam_labels')
    return sample


def half_image(tmp_path, name='left'):
    gt = np.zeros((4, 6), np.uint8)
    gt[:, :3] = 1  # class 'a' (key 0) on the left half
    cam = np.where(gt == 1, 0.8, 0.3)[None]
    return make_sample(tmp_path, name, gt, cam, [0])


def run(metric_cfg, samples):
    evaluator = Evaluator(dict(type='CAMMetric', **metric_cfg))
    evaluator.dataset_meta = dict(classes=CLASSES)
    evaluator.process(samples)
    return evaluator.evaluate(len(samples))


def test_sweep_best_and_fixed_hand_computed(tmp_path):
    no_gt = make_sample(tmp_path, 'nogt', None, np.zeros((1, 4, 6)), [1])
    res = run(
        dict(
            bg_thresholds=(0.2, 0.5, 0.9),
            fixed_bg_threshold=0.9,
            boundary_f=True), [half_image(tmp_path), no_gt])
    # t=0.2: all 'a' -> IoU bg 0, a 12/24; t=0.5 exact; t=0.9: all bg
    assert res['cam/thresholds'] == [0.2, 0.5, 0.9]
    assert res['cam/mIoU_curve'] == [25.0, 100.0, 25.0]
    assert res['cam/mIoU_best'] == 100.0
    assert res['cam/best_threshold'] == 0.5
    assert res['cam/mIoU@fixed'] == 25.0 and res['cam/fixed_threshold'] == 0.9
    assert res['cam/IoU_per_class']['a'] == 100.0
    assert np.isnan(res['cam/IoU_per_class']['b'])
    assert res['cam/fg_precision_best'] == 100.0
    # F: perfect at 0.5; at 0.9 'a' is missed (F 0) and 'b' absent (F 1)
    assert res['cam/F_best'] == 100.0 and res['cam/J&F_best'] == 100.0
    assert res['cam/F@fixed'] == 50.0
    assert res['cam/num_images'] == 1


def test_fixed_threshold_outside_the_sweep(tmp_path):
    res = run(
        dict(bg_thresholds=(0.2, 0.9), fixed_bg_threshold=0.5),
        [half_image(tmp_path)])
    assert res['cam/thresholds'] == [0.2, 0.9]
    assert res['cam/mIoU@fixed'] == 100.0 and res['cam/mIoU_best'] == 25.0
    assert 'cam/F_best' not in res


def test_dataset_level_confusion(tmp_path):
    # two images: the union of pixels counts, not a mean of image mIoUs
    gt = np.zeros((4, 6), np.uint8)
    gt[:, :3] = 2
    gt[0, 0] = 255
    other = make_sample(tmp_path, 'b', gt, np.full((1, 4, 6), 0.7), [1])
    res = run(dict(bg_thresholds=(0.5, )), [half_image(tmp_path), other])
    # bg: 24 gt px, 12 correct, 12 predicted 'b' -> 12/24; a: 1; b: 11/23
    assert res['cam/IoU_per_class'] == {
        'background': 50.0,
        'a': 100.0,
        'b': round(1100 / 23, 2)
    }


def test_size_mismatch_and_missing_meta(tmp_path):
    gt = np.zeros((4, 6), np.uint8)
    bad = make_sample(tmp_path, 'bad', gt, np.zeros((1, 5, 6)), [0])
    with pytest.raises(InvalidInputError, match='bad.jpg.*bad.png'):
        run({}, [bad])
    metric = METRICS.build(dict(type='CAMMetric'))
    with pytest.raises(ValueError, match='dataset_meta'):
        metric.process(None, [bad])
