"""The three block types of ACR's reconstruction UNet (pix2pix-style).

Kweon, Yoon, Yoon, "Weakly Supervised Semantic Segmentation via Adversarial
Learning of Classifier and Reconstructor", CVPR 2023 (supplement Table A1);
official code sangrockEG/ACR (``networks/resnet38d.py``, ``UNetDown``,
``UNetUp`` and ``GeneratorUNet.final``). Each block keeps its convolution
under the name ``conv`` so weights load from plain tensors.
"""
import torch
import torch.nn as nn
from torch import Tensor

ACTIVATIONS = ('relu', 'lrelu')
UPSAMPLE_MODES = ('nearest', 'bilinear')


def activation(name: str) -> nn.Module:
    """``'relu'`` -> ReLU, ``'lrelu'`` -> LeakyReLU(0.2)."""
    if name not in ACTIVATIONS:
        raise ValueError(f'activation must be one of {ACTIVATIONS}, '
                         f'got {name!r}')
    return nn.ReLU() if name == 'relu' else nn.LeakyReLU(0.2)


def dropout_layer(p: float) -> nn.Module:
    """Element-wise ``nn.Dropout(p)``, or Identity for p = 0."""
    return nn.Dropout(p) if p > 0 else nn.Identity()


class UNetDownBlock(nn.Module):
    """``Conv2d(k4, s2, p1, no bias) → [InstanceNorm] → LeakyReLU(0.2) →
    [Dropout]``: halves H and W.

    Args:
        in_channels (int): input channels.
        out_channels (int): output channels.
        norm (bool): InstanceNorm2d(affine=False) after the conv.
        dropout (float): element-wise dropout probability (0: none).
    """

    def __init__(self, in_channels: int, out_channels: int, norm: bool,
                 dropout: float):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 4, 2, 1, bias=False)
        self.norm = nn.InstanceNorm2d(out_channels) if norm else nn.Identity()
        self.act = nn.LeakyReLU(0.2)
        self.drop = dropout_layer(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.drop(self.act(self.norm(self.conv(x))))


class UNetUpBlock(nn.Module):
    """``ConvTranspose2d(k4, s2, p1, no bias) → InstanceNorm → act →
    [Dropout]``, then concatenation ``[output, skip]``: doubles H and W.

    Args:
        in_channels (int): input channels.
        out_channels (int): output channels before the concatenation.
        act (str): ``'relu'`` (code) or ``'lrelu'`` (supplement).
        dropout (float): element-wise dropout probability (0: none).
    """

    def __init__(self, in_channels: int, out_channels: int, act: str,
                 dropout: float):
        super().__init__()
        self.conv = nn.ConvTranspose2d(
            in_channels, out_channels, 4, 2, 1, bias=False)
        self.norm = nn.InstanceNorm2d(out_channels)
        self.act = activation(act)
        self.drop = dropout_layer(dropout)

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        return torch.cat((self.drop(self.act(self.norm(self.conv(x)))), skip),
                         dim=1)


class UNetOutputBlock(nn.Module):
    """×2 upsampling then a conv with bias, no output activation (the
    colourisation block).

    Args:
        in_channels (int): input channels.
        out_channels (int): image channels.
        mode (str): ``'nearest'`` (code) or ``'bilinear'`` (supplement;
            align_corners=False).
        kernel_size (int): 3 (code, padding 1) or 1 (supplement).
    """

    def __init__(self, in_channels: int, out_channels: int, mode: str,
                 kernel_size: int):
        super().__init__()
        if mode not in UPSAMPLE_MODES:
            raise ValueError(f'final_upsample must be one of '
                             f'{UPSAMPLE_MODES}, got {mode!r}')
        if kernel_size not in (1, 3):
            raise ValueError(f'final_kernel must be 3 (code) or 1 '
                             f'(supplement), got {kernel_size!r}')
        self.upsample = nn.Upsample(
            scale_factor=2,
            mode=mode,
            align_corners=False if mode == 'bilinear' else None)
        self.conv = nn.Conv2d(
            in_channels, out_channels, kernel_size,
            padding=kernel_size // 2, bias=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(self.upsample(x))
