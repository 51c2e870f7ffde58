"""IRN's random rescale of an image and its IR label.

IRN: Ahn, Cho, Kwak, "Weakly Supervised Learning of Instance Segmentation
with Inter-pixel Relations", CVPR 2019, arXiv:1904.05044; official code
https://github.com/jiwoon-ahn/irn (``misc/imutils.random_scale``,
``pil_rescale``).
"""
import random
from typing import Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from PIL import Image

from mmwsss.registry import TRANSFORMS


def rescaled_size(height: int, width: int, scale: float) -> Tuple[int, int]:
    """(round(H·s), round(W·s)) with NumPy's round-half-to-even."""
    return int(np.round(height * scale)), int(np.round(width * scale))


def pil_resize(arr: np.ndarray, size: Tuple[int, int],
               resample: int) -> np.ndarray:
    """PIL resize of an (H, W) or (H, W, C) array to ``size`` (h, w); a
    float array is resized channel by channel in PIL's 'F' mode."""
    if tuple(arr.shape[:2]) == tuple(size):
        return arr
    if arr.dtype == np.uint8:
        return np.asarray(Image.fromarray(arr).resize(size[::-1], resample))
    arr = arr.astype(np.float32, copy=False)
    if arr.ndim == 2:
        return np.asarray(
            Image.fromarray(arr, 'F').resize(size[::-1], resample))
    return np.stack([pil_resize(arr[..., c], size, resample)
                     for c in range(arr.shape[2])], axis=-1)


@TRANSFORMS.register_module()
class IRNRandomRescale(BaseTransform):
    """Rescale ``img`` (bicubic) and ``ir_label`` (nearest) by one factor.

    s = lo + u·(hi - lo), u = Python ``random.random()``; both go to
    (round(H·s), round(W·s)) with PIL (antialiased bicubic for the image,
    nearest for the label), unchanged when the size is. The official code
    resizes the uint8 image, so PIL rounds and clips it to uint8;
    ``float_resize=True`` resizes in float instead (no rounding). The image
    is returned as float32 either way, so later padding with the
    (non-integer) mean colour is exact.

    Required keys: ``img``. Optional: ``ir_label``, ``scale`` (a number:
    use this s instead of a random one). Modified keys: ``img``,
    ``ir_label``, ``img_shape``. Added keys: ``scale``.

    Args:
        scale_range (tuple[float, float]): range of s. Default: (0.5, 1.5).
        float_resize (bool): see above. Default: False (official).
    """

    def __init__(self,
                 scale_range: Sequence[float] = (0.5, 1.5),
                 float_resize: bool = False) -> None:
        low, high = scale_range
        if not 0 < low <= high:
            raise ValueError(
                f'scale_range must satisfy 0 < low <= high, got {scale_range}')
        self.scale_range = (float(low), float(high))
        self.float_resize = float_resize

    @cache_randomness
    def _random_scale(self) -> float:
        low, high = self.scale_range
        return low + random.random() * (high - low)

    def transform(self, results: dict) -> dict:
        """Rescale the image and the label."""
        scale = results.get('scale')
        if not isinstance(scale, (int, float)) or isinstance(scale, bool):
            scale = self._random_scale()
        img = results['img']
        size = rescaled_size(img.shape[0], img.shape[1], scale)
        if min(size) < 1:
            raise ValueError(
                f'IRNRandomRescale: scale {scale} shrinks a {img.shape[:2]} '
                'image to nothing; raise scale_range')
        if self.float_resize:
            img = img.astype(np.float32)
        results['img'] = pil_resize(img, size,
                                    Image.BICUBIC).astype(np.float32)
        if 'ir_label' in results:
            results['ir_label'] = pil_resize(results['ir_label'], size,
                                             Image.NEAREST)
        results['img_shape'] = size
        results['scale'] = float(scale)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale_range={self.scale_range}, '
                f'float_resize={self.float_resize})')
