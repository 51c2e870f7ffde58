"""DeepLab-V2 ASPP features with a cosine classifier (BANA stage 3, V2).

Oh, Kim, Ham, "Background-Aware Pooling and Noise-Aware Loss for
Weakly-Supervised Semantic Segmentation", CVPR 2021, arXiv:2104.00905;
official code https://github.com/cvlab-yonsei/BANA. Four parallel bias-free
3x3 convolutions from the ResNet-101 output (2048) to 256 channels with
dilations 6, 12, 18 and 24 are **summed, then passed through ReLU**; the
result is φ (256-d) and the cosine classifier of :class:`CosineSegHead`
(τ = 20, bias-free 1x1, N(0, 0.01)) gives the scores.

Unlike :class:`DeepLabV2Head` (dilated *classifiers* summed), the branches
here produce features; the classifier is shared.
"""
from typing import Optional, Sequence

import torch.nn as nn
from torch import Tensor

from mmwsss.registry import MODELS
from .cosine_seg_head import CosineSegHead


@MODELS.register_module()
class CosineASPPHead(CosineSegHead):
    """φ = ReLU(Σ_d conv_d(x)), then the cosine classifier.

    Args:
        in_channels (int): channels of the backbone output (2048).
        channels (int): channels of φ. Default: 256.
        num_classes (int): classes, background included.
        dilations (Sequence[int]): one bias-free 3x3 branch per dilation
            (padding = dilation). Default: (6, 12, 18, 24).
        init_cfg (dict): Default: N(0, 0.01) on the branches (``aspp``)
            and the classifier (``conv_seg``); the branches use
            DeepLab-V2's classifier-branch init.
        **kwargs: :class:`CosineSegHead` arguments (``classifier``,
            ``temperature``, ``loss_decode``, ...).
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 channels: int = 256,
                 dilations: Sequence[int] = (6, 12, 18, 24),
                 init_cfg: Optional[dict] = dict(
                     type='Normal',
                     std=0.01,
                     override=[dict(name='conv_seg'),
                               dict(name='aspp')]),
                 **kwargs) -> None:
        if not dilations or min(dilations) < 1:
            raise ValueError(
                f'dilations must be a non-empty sequence of positive '
                f'integers, got {dilations}')
        super().__init__(
            in_channels,
            num_classes,
            channels=channels,
            init_cfg=init_cfg,
            **kwargs)
        self.dilations = tuple(dilations)
        self.aspp = nn.ModuleList(
            nn.Conv2d(
                self.in_channels,
                self.channels,
                kernel_size=3,
                padding=d,
                dilation=d,
                bias=False) for d in self.dilations)

    def embed(self, inputs: Sequence[Tensor]) -> Tensor:
        """φ (B, channels, h, w): the summed branches after ReLU."""
        x = self._transform_inputs(inputs)
        return sum(conv(x) for conv in self.aspp).relu()
