"""The pre-activation residual blocks of ResNet-38d (basic and bottleneck),
with the official PyTorch port's submodule names (Wu, Shen, van den Hengel,
"Wider or Deeper: Revisiting the ResNet Model for Visual Recognition",
Pattern Recognition 2019, arXiv:1611.10080; all convolutions bias-free)."""
from typing import Optional, Tuple, Union

import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from torch import Tensor

DEFAULT_NORM = dict(type='BN', eps=1e-5)


def norm_layer(norm_cfg: dict, channels: int) -> nn.Module:
    """Build one normalisation layer (BN, SyncBN, ...) from ``norm_cfg``."""
    return build_norm_layer(dict(norm_cfg), channels)[1]


class ResNet38dBasicBlock(nn.Module):
    """Pre-activation basic block of ResNet-38d.

    ``a = ReLU(BN(x))``; main path ``conv3x3(a) -> BN -> ReLU -> conv3x3``;
    shortcut ``conv1x1(a)`` when the shape changes (channels or stride),
    otherwise the raw input ``x``. The output is the plain sum (no activation
    after it). All convolutions are bias-free.

    Args:
        in_channels (int): input channels.
        mid_channels (int): channels after the first 3x3 conv.
        out_channels (int): output channels.
        stride (int): stride of the first 3x3 conv and of the projection.
            Default: 1.
        first_dilation (int, optional): dilation (and padding) of the first
            3x3 conv. Default: None, i.e. equal to ``dilation``.
        dilation (int): dilation (and padding) of the second 3x3 conv.
            Default: 1.
        norm_cfg (dict): normalisation layers. Default: BN, eps 1e-5.

    Submodules (official names): ``bn_branch2a`` (pre-activation BN),
    ``conv_branch2a``, ``bn_branch2b1``, ``conv_branch2b1`` and, only when
    the shape changes, ``conv_branch1``.
    """

    def __init__(self,
                 in_channels: int,
                 mid_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 first_dilation: Optional[int] = None,
                 dilation: int = 1,
                 norm_cfg: dict = DEFAULT_NORM):
        super().__init__()
        if first_dilation is None:
            first_dilation = dilation
        self.identity_shortcut = (in_channels == out_channels
                                  and stride == 1)
        self.bn_branch2a = norm_layer(norm_cfg, in_channels)
        self.conv_branch2a = nn.Conv2d(
            in_channels,
            mid_channels,
            3,
            stride=stride,
            padding=first_dilation,
            dilation=first_dilation,
            bias=False)
        self.bn_branch2b1 = norm_layer(norm_cfg, mid_channels)
        self.conv_branch2b1 = nn.Conv2d(
            mid_channels,
            out_channels,
            3,
            padding=dilation,
            dilation=dilation,
            bias=False)
        if not self.identity_shortcut:
            self.conv_branch1 = nn.Conv2d(
                in_channels, out_channels, 1, stride=stride, bias=False)

    def forward(self, x: Tensor, return_bn_relu: bool = False
                ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """Run the block.

        Args:
            x (Tensor): (N, in_channels, H, W).
            return_bn_relu (bool): also return ``ReLU(BN(x))``.

        Returns:
            Tensor | tuple[Tensor, Tensor]: (N, out_channels, H', W') with
            ``H' = ceil(H / stride)``; with ``return_bn_relu`` also the
            (N, in_channels, H, W) pre-activated input.
        """
        act = F.relu(self.bn_branch2a(x))
        shortcut = x if self.identity_shortcut else self.conv_branch1(act)
        out = self.conv_branch2a(act)
        out = F.relu(self.bn_branch2b1(out))
        out = self.conv_branch2b1(out) + shortcut
        return (out, act) if return_bn_relu else out


class ResNet38dBottleneck(nn.Module):
    """Pre-activation bottleneck block of ResNet-38d (b6, b7).

    ``a = ReLU(BN(x))``; main path ``conv1x1 (out/4) -> BN -> ReLU ->
    Dropout2d -> conv3x3 (out/2, dilated) -> BN -> ReLU -> Dropout2d ->
    conv1x1 (out)``; shortcut is always the projection ``conv1x1(a)`` (the
    official code only uses this block with ``in_channels != out_channels``).
    Output = sum, no activation. All convolutions are bias-free.

    Args:
        in_channels (int): input channels.
        out_channels (int): output channels (mid widths are out/4, out/2).
        stride (int): stride of the first 1x1 conv and of the projection.
            Default: 1.
        dilation (int): dilation (and padding) of the 3x3 conv. Default: 1.
        dropout (float): ``Dropout2d`` probability, applied twice (before
            the 3x3 and before the last 1x1 conv). Default: 0.0.
        norm_cfg (dict): normalisation layers. Default: BN, eps 1e-5.

    Submodules (official names): ``bn_branch2a``, ``conv_branch2a``,
    ``bn_branch2b1``, ``conv_branch2b1``, ``bn_branch2b2``,
    ``conv_branch2b2``, ``conv_branch1``; dropouts ``dropout_2b1``,
    ``dropout_2b2`` (no parameters).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 dilation: int = 1,
                 dropout: float = 0.0,
                 norm_cfg: dict = DEFAULT_NORM):
        super().__init__()
        quarter, half = out_channels // 4, out_channels // 2
        self.bn_branch2a = norm_layer(norm_cfg, in_channels)
        self.conv_branch2a = nn.Conv2d(
            in_channels, quarter, 1, stride=stride, bias=False)
        self.bn_branch2b1 = norm_layer(norm_cfg, quarter)
        self.dropout_2b1 = nn.Dropout2d(dropout)
        self.conv_branch2b1 = nn.Conv2d(
            quarter, half, 3, padding=dilation, dilation=dilation, bias=False)
        self.bn_branch2b2 = norm_layer(norm_cfg, half)
        self.dropout_2b2 = nn.Dropout2d(dropout)
        self.conv_branch2b2 = nn.Conv2d(half, out_channels, 1, bias=False)
        self.conv_branch1 = nn.Conv2d(
            in_channels, out_channels, 1, stride=stride, bias=False)

    def forward(self, x: Tensor, return_bn_relu: bool = False
                ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """Run the block; same contract as :class:`ResNet38dBasicBlock`."""
        act = F.relu(self.bn_branch2a(x))
        shortcut = self.conv_branch1(act)
        out = self.conv_branch2a(act)
        out = self.dropout_2b1(F.relu(self.bn_branch2b1(out)))
        out = self.conv_branch2b1(out)
        out = self.dropout_2b2(F.relu(self.bn_branch2b2(out)))
        out = self.conv_branch2b2(out) + shortcut
        return (out, act) if return_bn_relu else out
