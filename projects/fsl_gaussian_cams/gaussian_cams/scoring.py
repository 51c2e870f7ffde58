"""J (object IoU) and F (contour F-measure) of a binary prediction."""
import math
from typing import Dict, Sequence, Tuple

import numpy as np

from mmwsss.evaluation.functional import (
    boundary_counts,
    boundary_f_from_counts,
    confusion_matrix,
    iou_from_confusion,
)
from .sample import BOUND_TH, IGNORE


def score_mask(pred: np.ndarray,
               gt: np.ndarray,
               bound_th: float = BOUND_TH) -> Tuple[float, float]:
    """J and F of one binary prediction against one object.

    J = IoU of the object, void (255) left out as in VOC mIoU; F = the
    contour F-measure of ``BoundaryFScore`` (void counted as background,
    tolerance ``⌈bound_th · √(h² + w²)⌉`` px of this map). Both through
    :mod:`mmwsss.evaluation.functional`.

    Args:
        pred (np.ndarray): (h, w) bool or 0/1 prediction.
        gt (np.ndarray): (h, w) uint8: 1 object, 0 background, 255 void.
        bound_th (float): contour tolerance. Default: 0.008.

    Returns:
        tuple: ``(J, F)`` fractions in [0, 1].
    """
    pred = np.asarray(pred).astype(np.uint8)
    iou = iou_from_confusion(confusion_matrix(pred, gt, 2, IGNORE))[1]
    counts = boundary_counts(pred, gt, 2, bound_th, IGNORE)
    fscore = boundary_f_from_counts(counts[1:])[2][0]
    return float(np.nan_to_num(iou)), float(fscore)


def summarise(scores: Sequence[Tuple[float, float]]) -> Dict[str, float]:
    """Means over the samples: ``J``, ``F`` and ``JF = (J + F) / 2``."""
    scores = np.asarray(scores, np.float64).reshape(-1, 2)
    j, f = scores.mean(0) if len(scores) else (math.nan, math.nan)
    return dict(J=float(j), F=float(f), JF=float((j + f) / 2))
