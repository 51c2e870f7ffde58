"""DeepLab-V2 ASPP head (Chen et al., "DeepLab: Semantic Image Segmentation
with Deep Convolutional Nets, Atrous Convolution, and Fully Connected CRFs",
TPAMI 2018, ASPP-L).

mmseg's ``ASPPHead`` is DeepLab-V3 (BN-ReLU branches, image pooling, a fusion
conv); DeepLab-V2 has none of these: each branch is a dilated 3x3 classifier
and the class scores of the branches are summed.
"""
from typing import Optional, Sequence

import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from torch import Tensor

from mmwsss.registry import MODELS


@MODELS.register_module()
class DeepLabV2Head(BaseDecodeHead):
    """Sum of parallel dilated 3x3 classifiers (DeepLab-V2 ASPP).

    ``logits = sum_d conv_d(x)``, where ``conv_d`` is a 3x3 convolution with
    dilation (and padding) ``d`` from ``in_channels`` to ``num_classes``,
    with bias and no BN/ReLU. Loss and prediction are
    :class:`BaseDecodeHead`'s (logits resized to the label / image size).

    Args:
        in_channels (int): channels of the selected backbone output
            (2048 for ResNet-101).
        num_classes (int): number of classes, background included.
        dilations (Sequence[int]): one branch per dilation. Default:
            (6, 12, 18, 24), DeepLab-V2's ASPP-L.
        dropout_ratio (float): Dropout2d on the features before the
            branches. Default: 0 (DeepLab-V2 has none).
        init_cfg (dict): default N(0, 0.01) weights and zero biases on every
            branch, as DeepLab-V2 initialises its classifiers.
        **kwargs: other :class:`BaseDecodeHead` arguments (``in_index``,
            ``loss_decode``, ``ignore_index``, ``align_corners``, ...).
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 dilations: Sequence[int] = (6, 12, 18, 24),
                 dropout_ratio: float = 0.0,
                 init_cfg: Optional[dict] = dict(
                     type='Normal',
                     std=0.01,
                     bias=0,
                     override=dict(name='conv_seg')),
                 **kwargs) -> None:
        if not dilations or min(dilations) < 1:
            raise ValueError(
                f'dilations must be a non-empty sequence of positive '
                f'integers, got {dilations}')
        super().__init__(
            in_channels,
            in_channels,  # ``channels``: no hidden layer, so = in_channels
            num_classes=num_classes,
            dropout_ratio=dropout_ratio,
            init_cfg=init_cfg,
            **kwargs)
        self.dilations = tuple(dilations)
        # BaseDecodeHead builds a 1x1 classifier ``conv_seg``. In DeepLab-V2
        # the classifier *is* the set of dilated 3x3 branches, so they
        # replace it: a leftover 1x1 conv would hold parameters that never
        # receive gradients (dead weights in checkpoints, and DDP errors
        # without ``find_unused_parameters``).
        self.conv_seg = nn.ModuleList(
            nn.Conv2d(
                self.in_channels,
                self.out_channels,
                kernel_size=3,
                padding=d,
                dilation=d,
                bias=True) for d in self.dilations)

    def cls_seg(self, feat: Tensor) -> Tensor:
        """Class logits (B, num_classes, h, w): the sum over the branches."""
        if self.dropout is not None:
            feat = self.dropout(feat)
        return sum(conv(feat) for conv in self.conv_seg)

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Logits (B, num_classes, h, w) from the backbone outputs."""
        return self.cls_seg(self._transform_inputs(inputs))
