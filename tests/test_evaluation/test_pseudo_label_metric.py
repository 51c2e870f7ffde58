import numpy as np
import pytest

from mmwsss.registry import METRICS

NAMES = ('background', 'a')


def evaluate(pred, gt, **kwargs):
    metric = METRICS.build(dict(type='PseudoLabelMetric', **kwargs))
    metric.dataset_meta = dict(classes=NAMES)
    metric.process(
        None, [dict(pred_sem_seg=np.asarray(pred), gt_sem_seg=np.asarray(gt))])
    return metric.evaluate(1)


def test_hand_computed_with_ignored_pixels():
    gt = [[0, 0, 1, 1], [0, 0, 1, 255]]
    pred = [[0, 255, 1, 1], [0, 1, 255, 1]]
    res = evaluate(pred, gt)
    # confusion (gt rows; pred bg, a, ignored): bg 2 1 1, a 0 2 1
    assert res['pseudo/IoU_per_class'] == {'background': 50.0, 'a': 50.0}
    assert res['pseudo/mIoU'] == 50.0
    assert res['pseudo/mIoU_labelled'] == 66.67
    assert res['pseudo/precision_per_class'] == {
        'background': 100.0,
        'a': 66.67
    }
    assert res['pseudo/recall_per_class'] == {'background': 50.0, 'a': 66.67}
    assert res['pseudo/fg_precision'] == 66.67
    assert res['pseudo/fg_recall'] == 66.67
    assert res['pseudo/ignore_ratio'] == 25.0
    assert 0 <= res['pseudo/F'] <= 100
    assert res['pseudo/J&F'] == pytest.approx(
        (50.0 + res['pseudo/F']) / 2, abs=0.01)
    assert res['pseudo/num_images'] == 1


def test_perfect_labels_and_no_boundary_option():
    gt = np.zeros((20, 20), np.uint8)
    gt[5:15, 5:15] = 1
    res = evaluate(gt, gt)
    assert res['pseudo/mIoU'] == 100.0 and res['pseudo/F'] == 100.0
    res = evaluate(gt, gt, boundary_f=False)
    assert 'pseudo/F' not in res and res['pseudo/ignore_ratio'] == 0.0
