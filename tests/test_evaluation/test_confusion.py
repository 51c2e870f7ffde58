import numpy as np
import pytest

from mmwsss.evaluation.functional import (
    confusion_matrix,
    fg_precision_recall,
    iou_from_confusion,
    nanmean,
    precision_recall_from_confusion,
    threshold_sweep_confusion,
)
from mmwsss.ops import cam_peak, cams_to_label


def test_confusion_and_iou_hand_computed():
    gt = np.array([[0, 0, 1], [1, 2, 255]])
    pred = np.array([[0, 1, 1], [1, 1, 2]])
    conf = confusion_matrix(pred, gt, 3)
    # rows = gt: bg -> (bg, 1); class 1 -> (1, 1); class 2 -> 1; 255 ignored
    np.testing.assert_array_equal(conf, [[1, 1, 0], [0, 2, 0], [0, 1, 0]])
    # IoU: bg 1/(2+1-1); class 1: 2/(2+4-2); class 2: 0/(1+0-0)
    np.testing.assert_allclose(iou_from_confusion(conf), [0.5, 0.5, 0.0])
    precision, recall = precision_recall_from_confusion(conf)
    np.testing.assert_allclose(precision, [1.0, 0.5, np.nan])
    np.testing.assert_allclose(recall, [0.5, 1.0, 0.0])
    # foreground vs background: pred fg 4 px of which gt fg 3; gt fg 3
    assert fg_precision_recall(conf) == (0.75, 1.0)


def test_iou_nan_for_absent_class_and_nanmean():
    conf = np.array([[3, 0, 0], [0, 1, 0], [0, 0, 0]])
    iou = iou_from_confusion(conf)
    assert np.isnan(iou[2]) and iou[0] == 1 and iou[1] == 1
    assert nanmean(iou) == 1.0
    assert np.isnan(nanmean(np.full(3, np.nan)))


def test_extra_column_counts_ignored_predictions_as_misses():
    # 2 classes + an "ignored" column: class 1 has 2 px, one ignored
    conf = np.array([[2, 0, 0], [0, 1, 1]])
    np.testing.assert_allclose(iou_from_confusion(conf), [1.0, 0.5])
    np.testing.assert_allclose(iou_from_confusion(conf[:, :2]), [1.0, 1.0])


def test_confusion_rejects_bad_values_and_shapes():
    with pytest.raises(ValueError, match='outside'):
        confusion_matrix(np.array([3]), np.array([0]), 3)
    with pytest.raises(ValueError, match='shape'):
        confusion_matrix(np.zeros(2), np.zeros(3), 3)


def test_cams_to_label_ties_go_to_background():
    cams = np.array([[[0.5, 0.2]], [[0.1, 0.6]]], np.float32)
    keys = np.array([3, 0])
    np.testing.assert_array_equal(cams_to_label(cams, keys, 0.5), [[0, 1]])
    np.testing.assert_array_equal(cams_to_label(cams, keys, 0.3), [[4, 1]])
    empty = cams_to_label(np.zeros((0, 1, 2)), np.zeros(0), 0.0)
    np.testing.assert_array_equal(empty, [[0, 0]])


def brute_force(cams, keys, gt, thresholds, num_classes):
    out = []
    for t in thresholds:
        scores = np.concatenate(
            [np.full((1, ) + cams.shape[1:], t, np.float32), cams])
        pred = np.concatenate([[0], keys + 1])[scores.argmax(0)]
        out.append(confusion_matrix(pred, gt, num_classes))
    return np.stack(out)


@pytest.mark.parametrize('num_keys', [0, 1, 3])
def test_sweep_equals_brute_force_argmax(num_keys):
    rng = np.random.default_rng(num_keys)
    cams = rng.random((num_keys, 17, 23)).astype(np.float32)
    cams[:, 0, :5] = 0.5  # exact ties with a threshold
    keys = rng.choice(6, num_keys, replace=False)
    gt = rng.integers(0, 7, (17, 23))
    gt[rng.random(gt.shape) < 0.1] = 255
    thresholds = [0.9, 0.05, 0.5, 0.3, 0.5, 0.0, 1.0]  # unsorted, repeated
    peak, label = cam_peak(cams, keys)
    sweep = threshold_sweep_confusion(peak, label, gt, thresholds, 7)
    np.testing.assert_array_equal(sweep,
                                  brute_force(cams, keys, gt, thresholds, 7))
    assert sweep.sum() == (gt != 255).sum() * len(thresholds)
