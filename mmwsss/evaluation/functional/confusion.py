"""Confusion matrices, IoU and the CAM background-threshold sweep.

Label maps follow the mmseg convention: 0 = background, c = foreground class
c - 1 of the mmpretrain order, ``ignore_index`` (255) = not evaluated.
``num_classes`` counts the background (C = foreground classes + 1). A
confusion matrix ``M[g, p]`` counts the pixels with ground truth g and
prediction p; pixels whose ground truth is ``ignore_index`` are left out.
"""
from typing import Sequence, Tuple

import numpy as np


def confusion_matrix(pred: np.ndarray,
                     gt: np.ndarray,
                     num_classes: int,
                     ignore_index: int = 255) -> np.ndarray:
    """Pixel confusion matrix ``M[g, p] = #{i : gt_i = g, pred_i = p}``.

    Args:
        pred (np.ndarray): predicted label map, values in 0..C-1.
        gt (np.ndarray): ground-truth label map of the same shape, values in
            0..C-1 or ``ignore_index``.
        num_classes (int): C, background included.
        ignore_index (int): ground-truth value left out. Default: 255.

    Returns:
        np.ndarray: int64 (C, C) matrix, rows = ground truth.
    """
    pred, gt = np.asarray(pred), np.asarray(gt)
    if pred.shape != gt.shape:
        raise ValueError(f'prediction shape {pred.shape} differs from the '
                         f'ground-truth shape {gt.shape}')
    valid = gt != ignore_index
    g = gt[valid].astype(np.int64)
    p = pred[valid].astype(np.int64)
    for name, values in (('ground truth', g), ('prediction', p)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f'{name} holds values outside 0..'
                             f'{num_classes - 1} (and {ignore_index})')
    return np.bincount(
        g * num_classes + p,
        minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with NaN where ``den == 0``."""
    num, den = np.asarray(num, np.float64), np.asarray(den, np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _counts(conf: np.ndarray) -> Tuple[np.ndarray, ...]:
    """True positives, ground-truth and predicted pixels of each class."""
    num_classes = conf.shape[-2]
    labelled = conf[..., :num_classes]
    tp = np.diagonal(labelled, axis1=-2, axis2=-1)
    return tp, conf.sum(-1), labelled.sum(-2)


def iou_from_confusion(conf: np.ndarray) -> np.ndarray:
    """Per-class IoU ``TP / (GT + Pred - TP)``, NaN for a class that is
    neither in the ground truth nor predicted.

    Args:
        conf (np.ndarray): (..., C, P) confusion matrices with P >= C;
            columns beyond C are predictions that are no class (e.g. ignored
            pseudo-label pixels) and count as misses of their row's class.

    Returns:
        np.ndarray: float64 (..., C).
    """
    tp, gt, pred = _counts(conf)
    return _ratio(tp, gt + pred - tp)


def precision_recall_from_confusion(
        conf: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Per-class precision ``TP / Pred`` and recall ``TP / GT`` (NaN where
    the denominator is 0); ``conf`` as in :func:`iou_from_confusion`."""
    tp, gt, pred = _counts(conf)
    return _ratio(tp, pred), _ratio(tp, gt)


def fg_precision_recall(conf: np.ndarray) -> Tuple[float, float]:
    """Class-agnostic foreground precision and recall.

    Foreground = any class but background (index 0). Precision =
    |pred fg ∧ gt fg| / |pred fg|, recall = |pred fg ∧ gt fg| / |gt fg|;
    ``conf`` as in :func:`iou_from_confusion` (extra columns are neither
    foreground nor background predictions).
    """
    num_classes = conf.shape[0]
    both = conf[1:, 1:num_classes].sum()
    return (float(_ratio(both, conf[:, 1:num_classes].sum())),
            float(_ratio(both, conf[1:].sum())))


def nanmean(values: np.ndarray, axis=None) -> np.ndarray:
    """``np.nanmean`` that returns NaN for all-NaN input without warning."""
    values = np.asarray(values, np.float64)
    count = (~np.isnan(values)).sum(axis=axis)
    return _ratio(np.nansum(values, axis=axis), count)


def threshold_sweep_confusion(peak: np.ndarray,
                              label: np.ndarray,
                              gt: np.ndarray,
                              thresholds: Sequence[float],
                              num_classes: int,
                              ignore_index: int = 255) -> np.ndarray:
    """Confusion matrices of :func:`~mmwsss.ops.cams_to_label` for many
    thresholds.

    A pixel is foreground (``label``) at threshold t iff ``peak > t``, i.e.
    for the thresholds below its peak. With the thresholds sorted, one
    ``bincount`` over (number of thresholds below the peak, gt, label)
    gives a histogram H[b]; the matrix at the j-th sorted threshold is
    ``Σ_{b > j} H[b]`` plus, in the background column, the ground-truth
    counts of ``Σ_{b ≤ j} H[b]``. Cost: one pass over the pixels plus
    O(T·C²), instead of T argmax passes.

    Args:
        peak (np.ndarray): (H, W) max CAM value (see
            :func:`~mmwsss.ops.cam_peak`).
        label (np.ndarray): (H, W) label of the max CAM, 1..C-1.
        gt (np.ndarray): (H, W) ground truth.
        thresholds (Sequence[float]): T background scores, any order
            (compared in float32).
        num_classes (int): C, background included.
        ignore_index (int): ground-truth value left out. Default: 255.

    Returns:
        np.ndarray: int64 (T, C, C), in the order of ``thresholds``.
    """
    thresholds = np.asarray(thresholds, np.float32).reshape(-1)
    order = np.argsort(thresholds, kind='stable')
    num = thresholds.size
    if np.shape(peak) != np.shape(gt) or np.shape(label) != np.shape(gt):
        raise ValueError(f'CAM shape {np.shape(peak)} differs from the '
                         f'ground-truth shape {np.shape(gt)}')
    valid = np.asarray(gt) != ignore_index
    g = np.asarray(gt)[valid].astype(np.int64)
    p = np.asarray(label)[valid].astype(np.int64)
    if g.size and (g.max() >= num_classes or p.max() >= num_classes):
        raise ValueError(f'labels outside 0..{num_classes - 1} (and '
                         f'{ignore_index})')
    below = np.searchsorted(
        thresholds[order], np.asarray(peak, np.float32)[valid], side='left')
    cells = num_classes * num_classes
    hist = np.bincount(
        below * cells + g * num_classes + p,
        minlength=(num + 1) * cells).reshape(num + 1, num_classes, num_classes)
    fg = np.cumsum(hist[::-1], axis=0)[::-1][1:]
    bg = np.cumsum(hist.sum(-1), axis=0)[:num]
    sweep = fg.copy()
    sweep[..., 0] += bg
    out = np.empty_like(sweep)
    out[order] = sweep
    return out
