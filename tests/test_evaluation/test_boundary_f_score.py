import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmwsss.registry import METRICS
from mmwsss.utils import InvalidInputError

NAMES = ('background', 'a', 'b')


def seg_sample(pred, gt):
    sample = SegDataSample()
    sample.pred_sem_seg = PixelData(data=torch.as_tensor(pred)[None])
    sample.gt_sem_seg = PixelData(data=torch.as_tensor(gt)[None])
    sample.set_metainfo(dict(img_path='x.jpg'))
    return sample


def test_beside_mmseg_iou_metric():
    gt = np.zeros((40, 40), np.int64)
    gt[5:20, 5:20] = 1
    gt[25:35, 20:38] = 2
    shifted = np.roll(gt, 6, axis=1)
    evaluator = Evaluator(
        [dict(type='IoUMetric'),
         dict(type='BoundaryFScore')])
    evaluator.dataset_meta = dict(classes=NAMES)
    evaluator.process([seg_sample(gt, gt), seg_sample(shifted, gt)])
    res = evaluator.evaluate(2)
    assert res['boundary/J'] == pytest.approx(res['mIoU'], abs=0.01)
    assert 0 < res['boundary/F'] < 100
    assert res['boundary/J&F'] == pytest.approx(
        (res['boundary/J'] + res['boundary/F']) / 2, abs=0.01)
    assert set(res['boundary/F_per_class']) == {'a', 'b'}
    assert res['boundary/num_images'] == 2
    # per-class IoU (the report's bars): mean is J, 'a' by hand
    per_class = res['boundary/IoU_per_class']
    assert list(per_class) == list(NAMES)
    assert np.mean(list(per_class.values())) == pytest.approx(
        res['boundary/J'], abs=0.01)
    a_gt, a_pred = gt == 1, np.stack([gt, shifted]) == 1
    inter = (a_pred & a_gt).sum()
    union = (a_pred | a_gt).sum()
    assert per_class['a'] == pytest.approx(100 * inter / union, abs=0.01)


def test_perfect_and_size_mismatch():
    gt = np.zeros((30, 30), np.int64)
    gt[3:12, 4:20] = 2
    metric = METRICS.build(dict(type='BoundaryFScore', prefix='seg'))
    metric.dataset_meta = dict(classes=NAMES)
    metric.process(None, [seg_sample(gt, gt).to_dict()])
    res = metric.evaluate(1)
    assert res['seg/F'] == 100.0 and res['seg/J'] == 100.0
    with pytest.raises(InvalidInputError, match='x.jpg'):
        metric.process(None, [seg_sample(gt[:20], gt).to_dict()])
