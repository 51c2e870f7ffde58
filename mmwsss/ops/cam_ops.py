"""Label maps from CAMs: the per-pixel peak and the background-threshold
argmax, shared by the refiners and the CAM metric."""
from typing import Tuple

import numpy as np


def cam_peak(cams: np.ndarray, keys: np.ndarray) -> Tuple[np.ndarray, ...]:
    """Per-pixel maximum CAM value and its label.

    Args:
        cams (np.ndarray): (K, H, W) CAMs.
        keys (np.ndarray): (K,) 0-based foreground class of each CAM.

    Returns:
        tuple: ``peak`` float32 (H, W) = max_k CAM_k (0 when K = 0) and
        ``label`` int64 (H, W) = keys[argmax_k CAM_k] + 1 (0 when K = 0).
    """
    cams = np.asarray(cams, np.float32)
    keys = np.asarray(keys, np.int64).reshape(-1)
    if cams.ndim != 3 or cams.shape[0] != keys.size:
        raise ValueError(f'cams of shape {cams.shape} do not match '
                         f'{keys.size} keys')
    if keys.size == 0:
        shape = cams.shape[1:]
        return np.zeros(shape, np.float32), np.zeros(shape, np.int64)
    index = cams.argmax(0)
    peak = np.take_along_axis(cams, index[None], 0)[0]
    return peak, keys[index] + 1


def cams_to_label(cams: np.ndarray, keys: np.ndarray,
                  bg_threshold: float) -> np.ndarray:
    """Label map ``argmax([t, CAM_1, ..., CAM_K])`` for a constant
    background score t (ties go to the background: bg where max CAM ≤ t).

    Args:
        cams (np.ndarray): (K, H, W) CAMs.
        keys (np.ndarray): (K,) 0-based foreground classes.
        bg_threshold (float): background score t (compared in float32).

    Returns:
        np.ndarray: uint8 (H, W), 0 = background, key + 1 = class.
    """
    peak, label = cam_peak(cams, keys)
    return np.where(peak > np.float32(bg_threshold), label, 0).astype(np.uint8)
