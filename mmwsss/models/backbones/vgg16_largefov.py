"""VGG-16 in DeepLab-V1 LargeFOV form, output stride 8 (BANA stages 1-3).

Chen et al., "Semantic Image Segmentation with Deep Convolutional Nets and
Fully Connected CRFs", ICLR 2015 (DeepLab-LargeFOV); the variant of BANA
(Oh et al., CVPR 2021, arXiv:2104.00905; official code
https://github.com/cvlab-yonsei/BANA): stage 1 with fc6 dilation 1, stage 3
with fc6 dilation 12:

- conv1-conv5 (3x3, ReLU, no BN); conv5_x dilated by 2;
- 3x3 max-pools with stride 2 (padding 1) after conv1, conv2, conv3 and
  stride 1 after conv4, conv5; then a stride-1 3x3 average pool;
- fc6: 3x3 conv 512 -> 1024 (dilation = padding = ``fc6_dilation``),
  fc7: 1x1 conv 1024 -> 1024, each followed by ReLU and Dropout2d(0.5).

A 321x321 input gives a 41x41 fc7 map (321 -> 161 -> 81 -> 41).

mmpretrain's ``VGG`` cannot be reused: its pools are fixed 2x2 / stride 2
(no 3x3 padded pools, no stride-1 pool4/pool5), and it has no fc6/fc7
convolutions. Parameter names follow Caffe's (``conv1_1``, ..., ``fc6``,
``fc7``), so converted DeepLab ``vgg16_20M`` weights load by name.
"""
from collections import OrderedDict
from typing import Optional, Tuple

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmwsss.registry import MODELS

# (number of 3x3 convs, output channels) of conv1..conv5
_VGG16_STAGES = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))


@MODELS.register_module()
class VGG16LargeFOV(BaseModule):
    """VGG-16 with DeepLab's stride-8 modifications and fc6/fc7 convs.

    Args:
        in_channels (int): input channels. Default: 3.
        fc6_dilation (int): dilation (and padding) of fc6: 12 for
            DeepLab-V1 LargeFOV (BANA stage 3), 1 for BANA's stage-1
            classifier. Default: 12.
        fc_channels (int): channels of fc6 / fc7. Default: 1024 (DeepLab's
            reduced fc layers).
        conv5_dilation (int): dilation of conv5_x. Default: 2.
        dropout_ratio (float): Dropout2d after fc6 and fc7 (active in train
            mode only). Default: 0.5.
        stage_channels (tuple[int], optional): output channels of conv1..5,
            to build narrow networks for tests / toy runs. Default: VGG-16's
            (64, 128, 256, 512, 512).
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained',
            checkpoint='pretrained/vgg16_20M_deeplab.pth')``. Default: None
            (PyTorch's default conv init).

    Returns (forward):
        tuple[Tensor]: one map, fc7 after ReLU and dropout,
        (B, fc_channels, ~H/8, ~W/8).
    """

    def __init__(self,
                 in_channels: int = 3,
                 fc6_dilation: int = 12,
                 fc_channels: int = 1024,
                 conv5_dilation: int = 2,
                 dropout_ratio: float = 0.5,
                 stage_channels: Optional[Tuple[int, ...]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if fc6_dilation < 1 or conv5_dilation < 1:
            raise ValueError('dilations must be >= 1, got fc6_dilation='
                             f'{fc6_dilation}, conv5_dilation='
                             f'{conv5_dilation}')
        widths = tuple(stage_channels or (c for _, c in _VGG16_STAGES))
        if len(widths) != len(_VGG16_STAGES):
            raise ValueError(
                f'stage_channels needs 5 values, got {stage_channels}')
        self.fc6_dilation = fc6_dilation
        layers = OrderedDict()
        channels = in_channels
        for stage, ((num_convs, _), width) in enumerate(
                zip(_VGG16_STAGES, widths), start=1):
            dilation = conv5_dilation if stage == 5 else 1
            for i in range(1, num_convs + 1):
                layers[f'conv{stage}_{i}'] = nn.Conv2d(
                    channels,
                    width,
                    kernel_size=3,
                    padding=dilation,
                    dilation=dilation)
                layers[f'relu{stage}_{i}'] = nn.ReLU(inplace=True)
                channels = width
            layers[f'pool{stage}'] = nn.MaxPool2d(
                kernel_size=3, stride=2 if stage <= 3 else 1, padding=1)
        layers['pool5a'] = nn.AvgPool2d(kernel_size=3, stride=1, padding=1)
        layers['fc6'] = nn.Conv2d(
            channels,
            fc_channels,
            kernel_size=3,
            padding=fc6_dilation,
            dilation=fc6_dilation)
        layers['relu6'] = nn.ReLU(inplace=True)
        layers['drop6'] = nn.Dropout2d(dropout_ratio)
        layers['fc7'] = nn.Conv2d(fc_channels, fc_channels, kernel_size=1)
        layers['relu7'] = nn.ReLU(inplace=True)
        layers['drop7'] = nn.Dropout2d(dropout_ratio)
        # registered on self (not in a Sequential) for Caffe-style keys
        for name, layer in layers.items():
            self.add_module(name, layer)
        self._layer_names = tuple(layers)

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        """fc7 features (B, fc_channels, h, w), output stride 8."""
        for name in self._layer_names:
            x = getattr(self, name)(x)
        return (x, )
