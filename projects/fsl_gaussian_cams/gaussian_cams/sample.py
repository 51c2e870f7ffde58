"""Defaults of the Gaussian-CAM experiment and its sample record.

The experiment is the μ/σ study of the supplementary material (S.1) of
High-fidelity Pseudo-labels for Boosting Weakly-Supervised
Segmentation (Jonnarth, Zhang, Felsberg; WACV 2024; arXiv:2304.02621;
official code: github.com/arvijj/hfpl).
The optimiser, its steps and learning rate, and ``Y = sigmoid(s)`` are not
stated in the supplement; they are our choices.
"""
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from mmwsss import fileio

IGNORE = fileio.IGNORE_INDEX
DEFAULT_SCALE = 0.1  # working size: a tenth of the image (≈ 50×38 on VOC)
DEFAULT_STEPS = 400
DEFAULT_LR = 0.05
DEFAULT_MU = 2.5
DEFAULT_SIGMA = 5.0
DEFAULT_MUS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)
DEFAULT_SIGMAS = (1.0, 2.5, 5.0, 7.5, 10.0, 12.5, 15.0)
#: contour tolerance as a fraction of the image diagonal (the contour
#: F-measure of mmwsss.evaluation.BoundaryFScore)
BOUND_TH = 0.008
SPLIT_ALL = 'all'  # pseudo split: every mask of SegmentationClass


@dataclass
class GaussianCamSample:
    """One object at the working resolution.

    Attributes:
        sample_id (str): ``<img_id>`` (single-object image) or
            ``<img_id>#<k>`` (k-th object of the image, ``per_object``).
        img_id (str): the image's file stem.
        label (int): 0-based class index.
        class_name (str): the class name.
        gt (np.ndarray): uint8 (h, w): 1 object, 0 background (other objects
            included), 255 void.
        image (np.ndarray, optional): float32 (h, w, 3) RGB in [0, 1]; loaded
            by :func:`load_sample_images` after the selection.
    """
    sample_id: str
    img_id: str
    label: int
    class_name: str
    gt: np.ndarray
    image: Optional[np.ndarray] = field(default=None, repr=False)
