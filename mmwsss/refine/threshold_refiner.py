"""Pseudo labels from CAMs with a constant background score."""
from typing import Optional, Sequence

import numpy as np

from mmwsss.ops import cam_peak
from mmwsss.registry import TASK_UTILS
from .utils import check_inputs


@TASK_UTILS.register_module()
class ThresholdRefiner:
    """Label = ``argmax([t, CAM_1, ..., CAM_K])`` (background where
    ``max_k CAM_k ≤ t``), optionally with an uncertain band set to 255.

    Args:
        bg_threshold (float): background score t. Default: 0.25 (SEAM's
            fixed background score in YudeWang/SEAM; the toy's CAMs
            need about 0.5 — take the best threshold of ``CAMMetric``).
        ignore_band (Sequence[float], optional): (low, high): pixels with
            ``low ≤ max_k CAM_k < high`` become 255 (ignore), e.g. IRN's
            (0.05, 0.30). Default: None.
        ignore_index (int): the ignore value. Default: 255.

    Call: ``refiner(image (H, W, 3) uint8, cams (K, H, W), keys (K,))`` →
    uint8 (H, W) label map with 0, key + 1 and 255.
    """

    def __init__(self,
                 bg_threshold: float = 0.25,
                 ignore_band: Optional[Sequence[float]] = None,
                 ignore_index: int = 255) -> None:
        if ignore_band is not None:
            if len(ignore_band) != 2 or not ignore_band[0] < ignore_band[1]:
                raise ValueError(f'ignore_band must be (low, high) with low '
                                 f'< high, got {ignore_band}')
            ignore_band = tuple(float(v) for v in ignore_band)
        self.bg_threshold = float(bg_threshold)
        self.ignore_band = ignore_band
        self.ignore_index = ignore_index

    def __call__(self, image: np.ndarray, cams: np.ndarray,
                 keys: np.ndarray) -> np.ndarray:
        cams, keys = check_inputs(image, cams, keys)
        peak, label = cam_peak(cams, keys)
        out = np.where(peak > np.float32(self.bg_threshold), label, 0)
        if self.ignore_band is not None:
            low, high = np.float32(self.ignore_band[0]), np.float32(
                self.ignore_band[1])
            out[(peak >= low) & (peak < high)] = self.ignore_index
        return out.astype(np.uint8)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(bg_threshold={self.bg_threshold}, '
                f'ignore_band={self.ignore_band})')
