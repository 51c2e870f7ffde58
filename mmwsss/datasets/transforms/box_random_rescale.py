"""Random rescale of an image with its boxes and background mask (BANA).

BANA: Oh, Kim, Ham, "Background-Aware Pooling and Noise-Aware Loss for
Weakly-Supervised Semantic Segmentation", CVPR 2021, arXiv:2104.00905;
official code https://github.com/cvlab-yonsei/BANA.

As in the official code: a factor s uniform in [0.5, 1.5]; the
image is resized bilinearly, the definite-background mask with nearest
neighbour, and the box coordinates are multiplied by s.
"""
from typing import Sequence, Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmwsss.registry import TRANSFORMS


@TRANSFORMS.register_module()
class BoxRandomRescale(BaseTransform):
    """Rescale ``img``, ``bg_mask`` and ``gt_bboxes`` by one random factor.

    The new size is ``int(s·W + 0.5) × int(s·H + 0.5)`` (mmcv's
    rounding); the boxes are multiplied by s itself.

    Required keys: ``img``. Optional: ``bg_mask``, ``gt_bboxes``.
    Modified keys: ``img``, ``img_shape``, ``bg_mask``, ``gt_bboxes``.
    Added keys: ``scale_factor`` (w, h) of the actual resize.

    Args:
        ratio_range (tuple[float, float]): range of s. Default: (0.5, 1.5).
        interpolation (str): image interpolation. Default: ``'bilinear'``.
    """

    def __init__(self,
                 ratio_range: Sequence[float] = (0.5, 1.5),
                 interpolation: str = 'bilinear') -> None:
        low, high = ratio_range
        if not 0 < low <= high:
            raise ValueError(
                f'ratio_range must satisfy 0 < low <= high, got {ratio_range}')
        self.ratio_range = (float(low), float(high))
        self.interpolation = interpolation

    @cache_randomness
    def _random_ratio(self) -> float:
        return float(np.random.uniform(*self.ratio_range))

    @staticmethod
    def _size(height: int, width: int, ratio: float) -> Tuple[int, int]:
        return max(1, int(width * ratio + 0.5)), max(1,
                                                     int(height * ratio + 0.5))

    def transform(self, results: dict) -> dict:
        """Rescale the image, the mask and the boxes."""
        ratio = self._random_ratio()
        img = results['img']
        height, width = img.shape[:2]
        size = self._size(height, width, ratio)
        results['img'] = mmcv.imresize(
            img, size, interpolation=self.interpolation)
        if 'bg_mask' in results:
            results['bg_mask'] = mmcv.imresize(
                results['bg_mask'], size, interpolation='nearest')
        if 'gt_bboxes' in results:
            results['gt_bboxes'] = (
                np.asarray(results['gt_bboxes'], np.float32) *
                np.float32(ratio)).reshape(-1, 4)
        results['img_shape'] = results['img'].shape[:2]
        results['scale_factor'] = (size[0] / width, size[1] / height)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(ratio_range={self.ratio_range}, '
                f'interpolation={self.interpolation!r})')
