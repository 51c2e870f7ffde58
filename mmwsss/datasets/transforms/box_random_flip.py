"""Random horizontal flip of an image with its boxes and background mask.

BANA: Oh, Kim, Ham, "Background-Aware Pooling and Noise-Aware Loss for
Weakly-Supervised Semantic Segmentation", CVPR 2021, arXiv:2104.00905;
official code https://github.com/cvlab-yonsei/BANA.

As in the official code, with probability 0.5 the image and the
definite-background mask are mirrored and a box [x0, x1] becomes
[W - x1, W - x0], W the image width. With boxes read as 0-based pixel
edges (columns x0 .. x1 - 1) this is exact; note that a coordinate
clipped to crop + 1 by ``BoxPadRandomCrop(clip_mode='official')`` flips to
-1.
"""
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmwsss.registry import TRANSFORMS


@TRANSFORMS.register_module()
class BoxRandomFlip(BaseTransform):
    """Mirror ``img``, ``bg_mask`` and ``gt_bboxes`` horizontally.

    Required keys: ``img``. Optional: ``bg_mask``, ``gt_bboxes``.
    Modified keys: those. Added keys: ``flip``, ``flip_direction``.

    Args:
        prob (float): flip probability. Default: 0.5.
    """

    def __init__(self, prob: float = 0.5) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob

    @cache_randomness
    def _do_flip(self) -> bool:
        return bool(np.random.random() < self.prob)

    def transform(self, results: dict) -> dict:
        """Flip (or not) and record it."""
        flip = self._do_flip()
        results['flip'] = flip
        results['flip_direction'] = 'horizontal' if flip else None
        if not flip:
            return results
        width = results['img'].shape[1]
        results['img'] = np.ascontiguousarray(results['img'][:, ::-1])
        if 'bg_mask' in results:
            results['bg_mask'] = np.ascontiguousarray(
                results['bg_mask'][:, ::-1])
        if 'gt_bboxes' in results:
            boxes = np.array(results['gt_bboxes'], np.float32).reshape(-1, 4)
            boxes[:, [0, 2]] = width - boxes[:, [2, 0]]
            results['gt_bboxes'] = boxes
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob})'
