"""BANA's definite-background mask M: 1 outside every box, 0 inside.

BANA: Oh, Kim, Ham, "Background-Aware Pooling and Noise-Aware Loss for
Weakly-Supervised Semantic Segmentation", CVPR 2021, arXiv:2104.00905;
official code https://github.com/cvlab-yonsei/BANA.

The official code reads a precomputed PNG per image (``BgMaskfromBoxes``,
distributed by the authors); by default the mask is rebuilt here from the XML
boxes with the ReScience rule: start from ones and, for every box (difficult
ones included), zero rows ``int(ymin) .. int(ymax) - 1`` and columns
``int(xmin) .. int(xmax) - 1``, i.e. VOC's 1-based coordinates read as 0-based
indices with an exclusive upper bound, as the official code does.
"""
import os.path as osp
from typing import Optional, Sequence

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import BaseTransform

from mmwsss.registry import TRANSFORMS


def boxes_to_bg_mask(boxes: np.ndarray,
                     shape: Sequence[int],
                     one_based: bool = False) -> np.ndarray:
    """Definite-background mask of boxes: uint8 (H, W), 1 outside all.

    Args:
        boxes (np.ndarray): (n, 4) x0, y0, x1, y1.
        shape (tuple[int, int]): (H, W).
        one_based (bool): False (default, BANA / ReScience): zero rows
            ``int(y0) .. int(y1) - 1``; True: read the coordinates as VOC's
            1-based inclusive pixels and zero ``int(y0) - 1 .. int(y1) -
            1`` (a "fixed" convention, not the official one).

    Returns:
        np.ndarray: uint8 (H, W) with values 0/1.
    """
    height, width = shape[:2]
    mask = np.ones((height, width), np.uint8)
    shift = 1 if one_based else 0
    for x0, y0, x1, y1 in np.asarray(boxes, np.float64).reshape(-1, 4):
        # clamp at 0: a negative start would wrap around in numpy slicing
        r0, c0 = max(int(y0) - shift, 0), max(int(x0) - shift, 0)
        r1, c1 = max(int(y1), 0), max(int(x1), 0)
        mask[r0:r1, c0:c1] = 0
    return mask


@TRANSFORMS.register_module()
class LoadBoxBackgroundMask(BaseTransform):
    """Add the definite-background mask ``bg_mask`` of an image's boxes.

    Required keys: ``img`` (for the size), ``gt_bboxes`` (n, 4) (from
    :class:`VOCBoxDataset`); ``img_id`` when ``mask_dir`` is set.
    Added keys: ``bg_mask`` uint8 (H, W), 1 = definite background.
    Modified keys: ``gt_bboxes`` (only with ``one_based=True``).

    Args:
        mask_dir (str, optional): folder of precomputed 0/1 PNGs
            ``<mask_dir>/<img_id><mask_suffix>`` (the authors'
            ``BgMaskfromBoxes``). Default: None, build the mask from
            ``gt_bboxes`` (:func:`boxes_to_bg_mask`).
        mask_suffix (str): Default: ``'.png'``.
        one_based (bool): False (default, official): the XML values are
            used as 0-based pixel edges. True (a "fixed" convention, not the
            official one): they are VOC's 1-based inclusive pixels; the mask
            zeroes rows ``y0 - 1 .. y1 - 1`` and ``gt_bboxes`` becomes 0-based
            (x0 - 1, y0 - 1, x1, y1), so both describe the same pixels.
        backend_args (dict, optional): mmengine file backend arguments.
    """

    def __init__(self,
                 mask_dir: Optional[str] = None,
                 mask_suffix: str = '.png',
                 one_based: bool = False,
                 backend_args: Optional[dict] = None) -> None:
        self.mask_dir = mask_dir
        self.mask_suffix = mask_suffix
        self.one_based = one_based
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        """Build or read ``results['bg_mask']``."""
        shape = results['img'].shape[:2]
        if self.mask_dir is None:
            if 'gt_bboxes' not in results:
                raise KeyError('LoadBoxBackgroundMask needs gt_bboxes (use '
                               'VOCBoxDataset) or a mask_dir')
            mask = boxes_to_bg_mask(results['gt_bboxes'], shape,
                                    self.one_based)
        else:
            path = osp.join(self.mask_dir,
                            results['img_id'] + self.mask_suffix)
            mask = mmcv.imfrombytes(
                fileio.get(path, backend_args=self.backend_args),
                flag='unchanged',
                backend='pillow')
            mask = (np.asarray(mask).reshape(mask.shape[:2]) > 0).astype(
                np.uint8)
            if mask.shape != tuple(shape):
                raise ValueError(f'{path}: mask {mask.shape} does not match '
                                 f'the image {tuple(shape)}')
        if self.one_based and 'gt_bboxes' in results:
            boxes = np.array(results['gt_bboxes'], np.float32).reshape(-1, 4)
            boxes[:, :2] -= 1
            results['gt_bboxes'] = boxes
        results['bg_mask'] = mask
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(mask_dir={self.mask_dir!r}, '
                f'mask_suffix={self.mask_suffix!r}, '
                f'one_based={self.one_based})')
