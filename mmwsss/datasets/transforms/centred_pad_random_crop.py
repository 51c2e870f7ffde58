"""Pad-if-needed (centred) + random crop of an image and its label maps,
as BANA's stage-3 loader does.

BANA: Oh, Kim, Ham, "Background-Aware Pooling and Noise-Aware Loss for
Weakly-Supervised Semantic Segmentation", CVPR 2021, arXiv:2104.00905;
official code https://github.com/cvlab-yonsei/BANA. Its segmentation loader
pads a side shorter than the crop on **both** sides by ``ceil(diff / 2)``
(an odd difference adds one pixel) with the mean colour, and the label maps
with 255, then crops at ``floor(u · (size - crop))``, u uniform in [0, 1).
mmseg's ``RandomCrop`` followed by the data preprocessor's padding puts the
whole pad at the bottom / right instead (``pad='none'`` here).
"""
import math
from typing import Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmwsss.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CentredPadRandomCrop(BaseTransform):
    """Pad ``img`` and every map in ``seg_fields`` centred, then crop them
    at one random offset.

    Required keys: ``img``, ``seg_fields`` (e.g. ``gt_seg_map`` and BANA's
    ``gt_seg_map_ret``). Modified keys: those, ``img_shape``. Added key:
    ``pad_offset`` (top, left).

    Args:
        crop_size (int | tuple[int, int]): (h, w). Default: 321.
        img_pad_val (number | sequence): image pad value in the image's
            channel order. Default: (104, 117, 123), BANA's RGB mean
            (123, 117, 104) in mmcv's BGR order (0 after Caffe-style mean
            subtraction, as the data preprocessor pads).
        seg_pad_val (int): label pad value. Default: 255 (ignored).
        pad (str): ``'centre'`` (official) or ``'none'`` (no padding here: a
            smaller crop stays smaller and the data preprocessor pads it
            bottom / right, mmseg's behaviour). Default: ``'centre'``.
    """

    def __init__(self,
                 crop_size: Union[int, Sequence[int]] = 321,
                 img_pad_val: Union[float, Sequence[float]] = (104, 117,
                                                               123),
                 seg_pad_val: int = 255,
                 pad: str = 'centre') -> None:
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        self.crop_size = tuple(int(s) for s in crop_size)
        if len(self.crop_size) != 2 or min(self.crop_size) < 1:
            raise ValueError(f'bad crop_size {crop_size}')
        if pad not in ('centre', 'none'):
            raise ValueError(f"pad must be 'centre' or 'none', got {pad!r}")
        self.img_pad_val, self.seg_pad_val, self.pad = (img_pad_val,
                                                        seg_pad_val, pad)

    @cache_randomness
    def _random_offset(self, height: int, width: int) -> Tuple[int, int]:
        """(y, x) = floor(u · (size - crop)) (0 when the side is smaller)."""
        crop_h, crop_w = self.crop_size
        off_y = math.floor(np.random.random() * max(height - crop_h, 0))
        off_x = math.floor(np.random.random() * max(width - crop_w, 0))
        return off_y, off_x

    def _padding(self, height: int, width: int) -> Tuple[int, int, int, int]:
        """(top, bottom, left, right): ceil(diff / 2) on both sides."""
        if self.pad == 'none':
            return 0, 0, 0, 0
        dy = math.ceil(max(self.crop_size[0] - height, 0) / 2)
        dx = math.ceil(max(self.crop_size[1] - width, 0) / 2)
        return dy, dy, dx, dx

    @staticmethod
    def _pad(arr: np.ndarray, pads: Tuple[int, int, int, int],
             value) -> np.ndarray:
        top, bottom, left, right = pads
        if not any(pads):
            return arr
        out = np.empty((arr.shape[0] + top + bottom,
                        arr.shape[1] + left + right) + arr.shape[2:],
                       arr.dtype)
        out[...] = np.asarray(value, dtype=arr.dtype)
        out[top:top + arr.shape[0], left:left + arr.shape[1]] = arr
        return out

    def transform(self, results: dict) -> dict:
        """Pad and crop the image and its label maps."""
        img = results['img']
        pads = self._padding(*img.shape[:2])
        img = self._pad(img, pads, self.img_pad_val)
        off_y, off_x = self._random_offset(*img.shape[:2])
        window = (slice(off_y, off_y + self.crop_size[0]),
                  slice(off_x, off_x + self.crop_size[1]))
        results['img'] = img[window]
        for key in results.get('seg_fields', []):
            results[key] = self._pad(results[key], pads,
                                     self.seg_pad_val)[window]
        results['img_shape'] = results['img'].shape[:2]
        results['pad_offset'] = (pads[0], pads[2])
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'img_pad_val={self.img_pad_val}, '
                f'seg_pad_val={self.seg_pad_val}, pad={self.pad!r})')
