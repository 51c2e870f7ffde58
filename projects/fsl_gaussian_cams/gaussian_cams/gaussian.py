"""The Gaussian CAM: a Gaussian fitted to an object mask, as logits."""
from typing import Tuple

import numpy as np


def fit_gaussian(mask: np.ndarray) -> Tuple[float, float, float, float]:
    """Mean and per-axis variance of the foreground pixel coordinates.

    Args:
        mask (np.ndarray): (h, w) bool, or a label map whose value 1 is the
            object (0 background, 255 void).

    Returns:
        tuple: ``(m_r, m_c, v_r, v_c)``: mean row, mean column and the
        population variances (ddof = 0) of the rows and columns, in pixels.
    """
    mask = np.asarray(mask)
    fg = mask if mask.dtype == bool else mask == 1
    rows, cols = np.nonzero(fg)
    if rows.size == 0:
        raise ValueError('the mask has no foreground pixel')
    return (float(rows.mean()), float(cols.mean()), float(rows.var()),
            float(cols.var()))


def gaussian_cam(mask: np.ndarray) -> np.ndarray:
    """Unnormalised Gaussian fitted to a mask.

    ``G(i, j) = exp(-½[(i - m_r)²/v_r + (j - m_c)²/v_c])`` with the
    statistics of :func:`fit_gaussian`: peak 1 at the mask's centroid (a
    normalised density would stay below ½ and ``2G - 1`` below 0).

    Args:
        mask (np.ndarray): see :func:`fit_gaussian`; the foreground must
            span at least two rows and two columns.

    Returns:
        np.ndarray: float64 (h, w) in (0, 1].
    """
    m_r, m_c, v_r, v_c = fit_gaussian(mask)
    if v_r <= 0 or v_c <= 0:
        raise ValueError(f'the mask foreground is degenerate (row variance '
                         f'{v_r}, column variance {v_c}); a Gaussian needs '
                         'at least two rows and two columns')
    h, w = np.shape(mask)
    rows = (np.arange(h, dtype=np.float64) - m_r)**2 / v_r
    cols = (np.arange(w, dtype=np.float64) - m_c)**2 / v_c
    return np.exp(-0.5 * (rows[:, None] + cols[None, :]))


def gaussian_logits(mask: np.ndarray) -> np.ndarray:
    """Single-channel logits ``s = 2G - 1`` in (-1, 1]; the
    initial foreground ``s > 0`` is the ellipse of Mahalanobis² < 2 ln 2."""
    return 2 * gaussian_cam(mask) - 1
