"""Horizontal flip of the image together with its CRF score maps."""
import random
from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from mmwsss.registry import TRANSFORMS


@TRANSFORMS.register_module()
class JointRandomFlip(BaseTransform):
    """Flip ``img`` (H, W, C) and channel-first maps (C, H, W) together.

    As AffinityNet's joint flip (Ahn and Kwak, CVPR 2018, arXiv:1803.10464,
    https://github.com/jiwoon-ahn/psa ``tool/imutils.RandomHorizontalFlip``):
    with ``prob=0.5`` the draw is Python's ``random.getrandbits(1)`` as in
    the official code, otherwise ``random.random() < prob``.

    Required keys: ``img``. Optional: the ``map_keys`` and ``psa_flip`` (a
    bool used instead of drawing, e.g. in tests). Modified keys: ``img``,
    the ``map_keys``. Added: ``flip``, ``flip_direction``.

    Args:
        prob (float): flip probability. Default: 0.5.
        map_keys (Sequence[str]): channel-first maps flipped with the image.
            Default: ('crf_scores',).
    """

    def __init__(self,
                 prob: float = 0.5,
                 map_keys: Sequence[str] = ('crf_scores', )) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob
        self.map_keys = tuple(map_keys)

    def _draw(self) -> bool:
        if self.prob == 0.5:
            return bool(random.getrandbits(1))
        return random.random() < self.prob

    def transform(self, results: dict) -> dict:
        flip = results.get('psa_flip')
        flip = self._draw() if flip is None else bool(flip)
        if flip:
            results['img'] = np.ascontiguousarray(results['img'][:, ::-1])
            for key in self.map_keys:
                if key in results:
                    results[key] = np.ascontiguousarray(
                        results[key][..., ::-1])
        results['flip'] = flip
        results['flip_direction'] = 'horizontal' if flip else None
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'map_keys={self.map_keys})')
