"""Colour jitter with a fixed brightness -> contrast -> saturation order.

BANA: Oh, Kim, Ham, "Background-Aware Pooling and Noise-Aware Loss for
Weakly-Supervised Semantic Segmentation", CVPR 2021, arXiv:2104.00905;
official code https://github.com/cvlab-yonsei/BANA.

BANA jitters brightness, contrast and saturation in this order, each with a
factor uniform in [1 - x, 1 + x] (x = 0.5), no hue, on the uint8 image.
mmpretrain's ``ColorJitter`` shuffles the order and mmseg's
``PhotoMetricDistortion`` applies each step with probability 0.5, so neither
matches.

The operations follow PIL's ``ImageEnhance`` / torchvision's definitions:
brightness ``f·I``; contrast ``f·I + (1-f)·mean(gray(I))``; saturation
``f·I + (1-f)·gray(I)``, gray = 0.299 R + 0.587 G + 0.114 B; values are
clipped to [0, 255] after each step and rounded to uint8 at the end.
"""
from typing import Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmwsss.registry import TRANSFORMS

_LUMA_RGB = np.array([0.299, 0.587, 0.114], np.float32)


@TRANSFORMS.register_module()
class FixedOrderColorJitter(BaseTransform):
    """Brightness, contrast, saturation jitter in a fixed order.

    Required keys: ``img`` (H, W, 3) uint8. Modified keys: ``img`` (uint8).

    Args:
        brightness, contrast, saturation (float): jitter strength x in
            [0, 1]; the factor is uniform in [1 - x, 1 + x]; 0 switches the
            step off. Default: 0.5 each (BANA).
        channel_order (str): ``'bgr'`` (mmcv / mmseg loading) or ``'rgb'``.
            Default: ``'bgr'``.
    """

    def __init__(self,
                 brightness: float = 0.5,
                 contrast: float = 0.5,
                 saturation: float = 0.5,
                 channel_order: str = 'bgr') -> None:
        for name, value in (('brightness', brightness),
                            ('contrast', contrast), ('saturation',
                                                     saturation)):
            if not 0 <= value <= 1:
                raise ValueError(f'{name} must be in [0, 1], got {value}')
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(
                f"channel_order must be 'bgr' or 'rgb', got {channel_order!r}")
        self.strengths = (brightness, contrast, saturation)
        self.channel_order = channel_order

    @cache_randomness
    def factors(self) -> Tuple[float, float, float]:
        """Random factors (brightness, contrast, saturation); 1 = off."""
        return tuple(
            float(np.random.uniform(1 - x, 1 + x)) if x > 0 else 1.0
            for x in self.strengths)

    def _gray(self, img: np.ndarray) -> np.ndarray:
        luma = _LUMA_RGB if self.channel_order == 'rgb' else _LUMA_RGB[::-1]
        return img @ luma

    def transform(self, results: dict) -> dict:
        """Jitter ``results['img']``."""
        bright, contrast, sat = self.factors()
        img = results['img'].astype(np.float32)
        img = np.clip(img * bright, 0, 255)
        mean = self._gray(img).mean()
        img = np.clip(contrast * img + (1 - contrast) * mean, 0, 255)
        gray = self._gray(img)[..., None]
        img = np.clip(sat * img + (1 - sat) * gray, 0, 255)
        results['img'] = np.round(img).astype(np.uint8)
        return results

    def __repr__(self) -> str:
        b, c, s = self.strengths
        return (f'{self.__class__.__name__}(brightness={b}, contrast={c}, '
                f'saturation={s}, channel_order={self.channel_order!r})')
