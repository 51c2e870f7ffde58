"""Pad-if-needed + random crop with BANA's box conventions.

BANA: Oh, Kim, Ham, "Background-Aware Pooling and Noise-Aware Loss for
Weakly-Supervised Semantic Segmentation", CVPR 2021, arXiv:2104.00905;
official code https://github.com/cvlab-yonsei/BANA. As in that code:

- a side shorter than the crop is padded on **both** sides by
  ``ceil(diff / 2)`` (an odd difference adds one extra pixel); the image
  pad value is the mean colour, the mask pad value 0 (not background);
  boxes are shifted by the leading pad;
- the crop offset is ``floor(u · (size - crop))``, u uniform in [0, 1);
- boxes are shifted by the offset and clipped to the crop: a box entirely
  outside is dropped, negative coordinates become 0 and a coordinate
  beyond the right / bottom edge becomes **crop + 1** (official), or crop
  (``clip_mode='fixed'``).
"""
import math
from typing import Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmwsss.registry import TRANSFORMS

# per-box arrays filtered together with gt_bboxes
BOX_KEYS = ('gt_bboxes', 'gt_bboxes_labels', 'gt_difficult', 'gt_truncated')


def _pad_before_after(size: int, crop: int) -> Tuple[int, int]:
    """BANA's centred padding: ceil(diff / 2) on each side (or none)."""
    if size >= crop:
        return 0, 0
    pad = math.ceil((crop - size) / 2)
    return pad, pad


@TRANSFORMS.register_module()
class BoxPadRandomCrop(BaseTransform):
    """Pad and randomly crop ``img`` and ``bg_mask``; move the boxes.

    Box coordinates are x0, y0, x1, y1 read as 0-based pixel edges (the
    box covers columns x0 .. x1 - 1), BANA's reading of VOC's values.

    Required keys: ``img``. Optional: ``bg_mask``, ``gt_bboxes`` and the
    per-box ``gt_bboxes_labels``, ``gt_difficult``, ``gt_truncated``.
    Modified keys: those, ``img_shape`` and (``update_gt_label``)
    ``gt_label``. Added keys: ``crop_offset`` (y, x) in the padded image,
    ``pad_offset`` (top, left).

    Args:
        crop_size (int | tuple[int, int]): (h, w) of the crop. Default: 321.
        img_pad_val (number | sequence): image pad value in the image's
            channel order. Default: (104, 117, 123), BANA's RGB mean
            (123, 117, 104) in mmcv's BGR order.
        mask_pad_val (int): ``bg_mask`` pad value. Default: 0.
        clip_mode (str): ``'official'`` (a right / bottom coordinate beyond
            the crop becomes crop + 1) or ``'fixed'`` (it becomes crop).
            Default: ``'official'``.
        update_gt_label (bool): set ``gt_label`` to the sorted labels of the
            kept boxes. Default: True.
    """

    def __init__(self,
                 crop_size: Union[int, Sequence[int]] = 321,
                 img_pad_val: Union[float, Sequence[float]] = (104, 117,
                                                               123),
                 mask_pad_val: int = 0,
                 clip_mode: str = 'official',
                 update_gt_label: bool = True) -> None:
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        crop_size = tuple(int(s) for s in crop_size)
        if len(crop_size) != 2 or min(crop_size) < 1:
            raise ValueError(f'bad crop_size {crop_size}')
        if clip_mode not in ('official', 'fixed'):
            raise ValueError(
                f"clip_mode must be 'official' or 'fixed', got {clip_mode!r}")
        self.crop_size = crop_size
        self.img_pad_val = img_pad_val
        self.mask_pad_val = mask_pad_val
        self.clip_mode = clip_mode
        self.update_gt_label = update_gt_label

    @cache_randomness
    def _random_offset(self, height: int, width: int) -> Tuple[int, int]:
        """(y, x) = floor(u · (size - crop)), u uniform in [0, 1)."""
        crop_h, crop_w = self.crop_size
        off_y = math.floor(np.random.random() * (height - crop_h))
        off_x = math.floor(np.random.random() * (width - crop_w))
        return off_y, off_x

    @staticmethod
    def _pad(arr: np.ndarray, top: int, left: int, bottom: int, right: int,
             value) -> np.ndarray:
        if not (top or left or bottom or right):
            return arr
        shape = (arr.shape[0] + top + bottom, arr.shape[1] + left + right)
        out = np.empty(shape + arr.shape[2:], arr.dtype)
        out[...] = np.asarray(value, dtype=arr.dtype)
        out[top:top + arr.shape[0], left:left + arr.shape[1]] = arr
        return out

    def clip_boxes(self, boxes: np.ndarray) -> np.ndarray:
        """Keep mask (n,) of boxes (in crop coordinates) that overlap the
        crop; clips ``boxes`` in place."""
        crop_h, crop_w = self.crop_size
        keep = ((boxes[:, 2] > 0) & (boxes[:, 3] > 0) &
                (boxes[:, 0] < crop_w) & (boxes[:, 1] < crop_h))
        boxes[:, :2] = np.maximum(boxes[:, :2], 0)
        extra = 1 if self.clip_mode == 'official' else 0
        boxes[:, 2] = np.where(boxes[:, 2] > crop_w, crop_w + extra,
                               boxes[:, 2])
        boxes[:, 3] = np.where(boxes[:, 3] > crop_h, crop_h + extra,
                               boxes[:, 3])
        return keep

    def transform(self, results: dict) -> dict:
        """Pad, crop and move the boxes."""
        img = results['img']
        crop_h, crop_w = self.crop_size
        top, bottom = _pad_before_after(img.shape[0], crop_h)
        left, right = _pad_before_after(img.shape[1], crop_w)
        img = self._pad(img, top, left, bottom, right, self.img_pad_val)
        off_y, off_x = self._random_offset(img.shape[0], img.shape[1])
        window = (slice(off_y, off_y + crop_h), slice(off_x, off_x + crop_w))
        results['img'] = img[window]
        if 'bg_mask' in results:
            mask = self._pad(results['bg_mask'], top, left, bottom, right,
                             self.mask_pad_val)
            results['bg_mask'] = mask[window]
        if 'gt_bboxes' in results:
            boxes = np.array(results['gt_bboxes'], np.float32).reshape(-1, 4)
            shift = np.array([left - off_x, top - off_y] * 2, np.float32)
            boxes += shift
            keep = self.clip_boxes(boxes)
            results['gt_bboxes'] = boxes[keep]
            for key in BOX_KEYS[1:]:
                if key in results:
                    results[key] = np.asarray(results[key])[keep]
            if self.update_gt_label and 'gt_bboxes_labels' in results:
                results['gt_label'] = np.unique(
                    results['gt_bboxes_labels']).tolist()
        results['img_shape'] = results['img'].shape[:2]
        results['crop_offset'] = (off_y, off_x)
        results['pad_offset'] = (top, left)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'img_pad_val={self.img_pad_val}, '
                f'mask_pad_val={self.mask_pad_val}, '
                f'clip_mode={self.clip_mode!r}, '
                f'update_gt_label={self.update_gt_label})')
