"""IRN's joint horizontal flip of an image and its IR label.

IRN: Ahn, Cho, Kwak, "Weakly Supervised Learning of Instance Segmentation
with Inter-pixel Relations", CVPR 2019, arXiv:1904.05044; official code
https://github.com/jiwoon-ahn/irn (``misc/imutils.random_lr_flip``).
"""
import random

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmwsss.registry import TRANSFORMS


@TRANSFORMS.register_module()
class IRNRandomFlip(BaseTransform):
    """Mirror ``img`` and ``ir_label`` left-right together.

    The decision is ``random.getrandbits(1)`` as in the official code when
    ``prob=0.5``, else ``random.random() < prob``. (mmcv's ``RandomFlip``
    flips only its own keys, not ``ir_label``, and draws from NumPy.)

    Required keys: ``img``. Optional: ``ir_label``, ``flip`` (a bool: use
    it instead of a random draw). Modified keys: ``img``, ``ir_label``.
    Added keys: ``flip``, ``flip_direction``.

    Args:
        prob (float): flip probability. Default: 0.5.
    """

    def __init__(self, prob: float = 0.5) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob

    @cache_randomness
    def _do_flip(self) -> bool:
        if self.prob == 0.5:
            return bool(random.getrandbits(1))
        return random.random() < self.prob

    def transform(self, results: dict) -> dict:
        """Flip (or not) and record it."""
        flip = results.get('flip')
        if not isinstance(flip, (bool, np.bool_)):
            flip = self._do_flip()
        flip = bool(flip)
        results['flip'] = flip
        results['flip_direction'] = 'horizontal' if flip else None
        if flip:
            for key in ('img', 'ir_label'):
                if key in results:
                    results[key] = np.ascontiguousarray(results[key][:, ::-1])
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob})'
