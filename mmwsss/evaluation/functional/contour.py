"""Contour (boundary) F-score, DAVIS style, as in ``contour_fscore.py`` of
hfpl (Jonnarth et al., "High-fidelity Pseudo-labels for Boosting
Weakly-Supervised Segmentation", WACV 2024, arXiv:2304.02621; official
code github.com/arvijj/hfpl), adapted there from the DAVIS-2017 evaluation.

For every foreground class c the binary masks P_c = (pred == c) and
G_c = (gt == c) (void in the ground truth counts as background) are reduced
to 1-px boundary maps b(·); a boundary pixel is matched when the other map
has a boundary pixel within r = ⌈0.008 · √(H² + W²)⌉ px (binary dilation
with a disk of radius r). The counts are summed over the whole dataset per
class before precision, recall and F are formed.
"""
import math
from typing import Iterable, Optional, Sequence, Tuple

import numpy as np
from scipy.spatial import cKDTree

from .confusion import nanmean

#: columns of the count arrays of :func:`boundary_counts`
COUNT_FIELDS = ('pred_matched', 'pred_boundary', 'gt_matched', 'gt_boundary')


def seg_boundary(mask: np.ndarray) -> np.ndarray:
    """1-px boundary map of a binary mask (DAVIS ``seg2bmap`` without
    resizing): a pixel is boundary when it differs from its east, south or
    south-east neighbour (the last row compares only east, the last column
    only south; the bottom-right pixel is never boundary).

    Args:
        mask (np.ndarray): (H, W) mask, non-zero = inside.

    Returns:
        np.ndarray: bool (H, W).
    """
    m = np.asarray(mask).astype(bool)
    out = np.zeros_like(m)
    out[:, :-1] |= m[:, :-1] != m[:, 1:]
    out[:-1, :] |= m[:-1, :] != m[1:, :]
    out[:-1, :-1] |= m[:-1, :-1] != m[1:, 1:]
    return out


def boundary_tolerance(shape: Sequence[int], bound_th: float = 0.008) -> int:
    """Matching radius in pixels: ``bound_th`` itself when ≥ 1, else
    ``⌈bound_th · √(H² + W²)⌉`` (VOC 500×375 → 5 px)."""
    if bound_th >= 1:
        return int(bound_th)
    return int(math.ceil(bound_th * math.hypot(shape[0], shape[1])))


def _tree(points: np.ndarray) -> Optional[cKDTree]:
    return cKDTree(points) if len(points) else None


def _matched(points: np.ndarray, tree: Optional[cKDTree], radius: int) -> int:
    """How many ``points`` have a tree point within ``radius`` (Euclidean).
    Squared pixel distances are integers, so the bound ``radius + 1e-6``
    includes distance ``radius`` and excludes √(radius² + 1)."""
    if tree is None or not len(points):
        return 0
    dist, _ = tree.query(points, k=1, distance_upper_bound=radius + 1e-6)
    return int(np.isfinite(dist).sum())


def matched_pixels(targets: np.ndarray, sources: np.ndarray,
                   radius: int) -> int:
    """``|targets ∧ dilate(sources, disk(radius))|`` for boolean maps.

    The disk holds the offsets with dy² + dx² ≤ radius², so a target pixel
    is matched when its Euclidean distance to the nearest source pixel is
    ≤ radius; computed with a k-d tree of the source pixels, whose cost
    grows with the number of boundary pixels instead of the image area.
    """
    return _matched(np.argwhere(targets), _tree(np.argwhere(sources)), radius)


def _values(labels: np.ndarray) -> np.ndarray:
    """The distinct values of a non-negative integer map (bincount, which is
    faster than ``np.unique`` on large maps)."""
    return np.flatnonzero(np.bincount(labels.ravel().astype(np.intp)))


def boundary_counts(preds: np.ndarray,
                    gt: np.ndarray,
                    num_classes: int,
                    bound_th: float = 0.008,
                    ignore_index: int = 255) -> np.ndarray:
    """Boundary match counts of one image, per foreground class.

    Args:
        preds (np.ndarray): (H, W) predicted label map, or (T, H, W) several
            predictions of the same image (e.g. a threshold sweep; the
            ground-truth boundaries are computed once). Values outside
            1..C-1 (background, 255) belong to no foreground class.
        gt (np.ndarray): (H, W) ground truth; ``ignore_index`` → background.
        num_classes (int): C, background included.
        bound_th (float): tolerance, see :func:`boundary_tolerance`.
        ignore_index (int): void value of the ground truth. Default: 255.

    Returns:
        np.ndarray: int64 (C, 4) — or (T, C, 4) — with columns
        :data:`COUNT_FIELDS`; row 0 (background) stays 0.
    """
    preds = np.asarray(preds)
    gt = np.asarray(gt)
    single = preds.ndim == 2
    if single:
        preds = preds[None]
    if preds.shape[1:] != gt.shape:
        raise ValueError(f'prediction shape {preds.shape[1:]} differs from '
                         f'the ground-truth shape {gt.shape}')
    gt = np.where(gt == ignore_index, 0, gt)
    radius = boundary_tolerance(gt.shape, bound_th)
    counts = np.zeros((preds.shape[0], num_classes, 4), np.int64)
    present = np.union1d(_values(preds), _values(gt))
    for c in present[(present > 0) & (present < num_classes)]:
        gt_points = np.argwhere(seg_boundary(gt == c))
        gt_tree = _tree(gt_points)
        for i, pred in enumerate(preds):
            pred_points = np.argwhere(seg_boundary(pred == c))
            counts[i, c] = (_matched(pred_points, gt_tree,
                                     radius), len(pred_points),
                            _matched(gt_points, _tree(pred_points),
                                     radius), len(gt_points))
    return counts[0] if single else counts


def boundary_f_from_counts(
        counts: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall and F per class from summed counts.

    P = pred_matched / pred_boundary (1 without predicted boundary),
    R = gt_matched / gt_boundary (1 without ground-truth boundary), so no
    prediction but a ground-truth boundary gives (1, 0), a prediction
    without ground truth (0, 1) and neither (1, 1);
    F = 2PR / (P + R), 0 when P + R = 0.

    Args:
        counts (np.ndarray): (..., C, 4) counts (:data:`COUNT_FIELDS`).

    Returns:
        tuple: precision, recall, F, each float64 (..., C).
    """
    counts = np.asarray(counts, np.float64)
    pm, pb, gm, gb = np.moveaxis(counts, -1, 0)
    precision = np.divide(pm, pb, out=np.ones_like(pm), where=pb > 0)
    recall = np.divide(gm, gb, out=np.ones_like(gm), where=gb > 0)
    total = precision + recall
    fscore = np.divide(
        2 * precision * recall,
        total,
        out=np.zeros_like(total),
        where=total > 0)
    return precision, recall, fscore


def boundary_f_score(preds: Iterable[np.ndarray],
                     gts: Iterable[np.ndarray],
                     num_classes: int,
                     bound_th: float = 0.008,
                     ignore_index: int = 255) -> dict:
    """Dataset-level contour F of paired label maps.

    Args:
        preds (Iterable[np.ndarray]): (H, W) predicted label maps.
        gts (Iterable[np.ndarray]): matching ground-truth maps.
        num_classes (int): C, background included.
        bound_th (float): tolerance, see :func:`boundary_tolerance`.
        ignore_index (int): void value of the ground truth. Default: 255.

    Returns:
        dict: ``F`` (mean over the C-1 foreground classes), ``precision``,
        ``recall`` (means) and ``F_per_class``, ``precision_per_class``,
        ``recall_per_class`` (float64 (C-1,)), all fractions in [0, 1];
        ``counts`` the summed (C, 4) counts.
    """
    counts = np.zeros((num_classes, 4), np.int64)
    for pred, gt in zip(preds, gts):
        counts += boundary_counts(pred, gt, num_classes, bound_th,
                                  ignore_index)
    precision, recall, fscore = boundary_f_from_counts(counts[1:])
    return dict(
        F=float(nanmean(fscore)),
        precision=float(nanmean(precision)),
        recall=float(nanmean(recall)),
        F_per_class=fscore,
        precision_per_class=precision,
        recall_per_class=recall,
        counts=counts)
