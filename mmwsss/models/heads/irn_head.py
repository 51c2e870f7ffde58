"""IRN's two branches: class boundaries and displacement field."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmwsss.registry import MODELS


class MeanShift(nn.Module):
    """Identity in training; subtracts the buffer ``running_mean`` (C,)
    from each channel in eval mode (IRN's ``Net.MeanShift``)."""

    def __init__(self, num_features: int = 2) -> None:
        super().__init__()
        self.register_buffer('running_mean', torch.zeros(num_features))

    def forward(self, x: Tensor) -> Tensor:
        if self.training:
            return x
        return x - self.running_mean.view(1, -1, 1, 1)


def _unit(in_ch: int, out_ch: int, groups: int, up: int = 1) -> nn.Sequential:
    """Conv1x1 (no bias) -> GroupNorm -> [bilinear x up] -> ReLU."""
    layers = [nn.Conv2d(in_ch, out_ch, 1, bias=False),
              nn.GroupNorm(groups, out_ch)]
    if up > 1:
        layers.append(
            nn.Upsample(scale_factor=up, mode='bilinear',
                        align_corners=False))
    layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


@MODELS.register_module()
class IRNHead(BaseModule):
    """Inter-pixel relation network head (IRN, CVPR 2019).

    Ahn, Cho, Kwak, "Weakly Supervised Learning of Instance Segmentation with
    Inter-pixel Relations", CVPR 2019, arXiv:1904.05044; official code
    https://github.com/jiwoon-ahn/irn (``net/resnet50_irn.py``, ``Net``).

    Inputs x1..x5 (strides 4, 4, 8, 16, 16 with ``ResNet50Stages``).
    U_n(x) = ReLU(Up_n(GN(Conv1x1(x)))): bias-free 1x1 conv, GroupNorm,
    bilinear x n upsampling (align_corners=False; n = 1: none), ReLU. Crops
    keep the top-left part.

    Edge branch (width e, default 32, GN with 4 groups)::

        e1 = U_1(x1), e2 = U_1(x2), e3 = U_2(x3), e4 = U_4(x4),
        e5 = U_4(x5)                      (e3..e5 cropped to e2's size)
        edge_logits = fc_edge6([e1, ..., e5])    1x1 conv 5e -> 1, with bias

    Displacement branch (widths d1, d2, d3, default 64, 128, 256; GN with
    8, 16, 16 groups)::

        p1 = U_1(x1), p2 = U_1(x2), p3 = U_1(x3)
        p4 = U_2(x4), p5 = U_2(x5)        (width d3, cropped to p3)
        p6 = U_2([p3, p4, p5])            (3 d3 -> d3, cropped to p2)
        dp = Conv1x1(U_1([p1, p2, p6]))   (d1 + d2 + d3 -> d3 -> 2, no bias)
        displacement = dp - running_mean  (eval only; channel 0 = y, 1 = x)

    Official parameter names (``fc_edge1..6``, ``fc_dp1..7``,
    ``fc_dp7.4.running_mean`` = ``mean_shift.running_mean``). Converting the
    released ``res50_irn.pth``: keep ``resnet50.*`` as ``backbone.*`` and
    ``fc_edge*``, ``fc_dp*`` as ``head.fc_edge*``, ``head.fc_dp*``; map
    ``mean_shift.running_mean`` to ``head.mean_shift.running_mean``; drop
    the duplicates ``stage*``, ``backbone.*``, ``edge_layers.*``,
    ``dp_layers.*`` and the loss buffers ``path_indices*``, ``disp_target``
    (``tools/model_converters/irn_official.py``). ``running_mean`` is set
    after training to the mean displacement over fixed crops; it is 0 until
    then and only matters for instance masks.

    Args:
        in_channels (Sequence[int]): channels of x1..x5. Default: ResNet-50's
            (64, 256, 512, 1024, 2048).
        edge_channels (int): edge-branch width. Default: 32.
        edge_groups (int): its GroupNorm groups. Default: 4.
        dp_channels (Sequence[int]): displacement widths (d1, d2, d3).
            Default: (64, 128, 256).
        dp_groups (Sequence[int]): their GroupNorm groups (p1, p2, p3..p7).
            Default: (8, 16, 16).
        init_cfg (dict, optional): default None = PyTorch's default init, as
            in the official code.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (64, 256, 512, 1024, 2048),
                 edge_channels: int = 32,
                 edge_groups: int = 4,
                 dp_channels: Sequence[int] = (64, 128, 256),
                 dp_groups: Sequence[int] = (8, 16, 16),
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        in_channels, dp_channels = tuple(in_channels), tuple(dp_channels)
        dp_groups = tuple(dp_groups)
        if len(in_channels) != 5:
            raise ValueError(
                f'in_channels must give the 5 backbone outputs x1..x5, got '
                f'{in_channels}')
        if len(dp_channels) != 3 or len(dp_groups) != 3:
            raise ValueError('dp_channels and dp_groups need 3 values each '
                             f'(got {dp_channels}, {dp_groups})')
        for ch, g in ((edge_channels, edge_groups), *zip(dp_channels,
                                                         dp_groups)):
            if g < 1 or ch % g:
                raise ValueError(
                    f'GroupNorm: {ch} channels are not divisible into {g} '
                    'groups; change edge_channels/dp_channels or the groups')
        self.in_channels = in_channels
        c1, c2, c3, c4, c5 = in_channels
        e, ge = edge_channels, edge_groups
        self.fc_edge1 = _unit(c1, e, ge)
        self.fc_edge2 = _unit(c2, e, ge)
        self.fc_edge3 = _unit(c3, e, ge, up=2)
        self.fc_edge4 = _unit(c4, e, ge, up=4)
        self.fc_edge5 = _unit(c5, e, ge, up=4)
        self.fc_edge6 = nn.Conv2d(5 * e, 1, 1, bias=True)
        (d1, d2, d3), (g1, g2, g3) = dp_channels, dp_groups
        self.fc_dp1 = _unit(c1, d1, g1)
        self.fc_dp2 = _unit(c2, d2, g2)
        self.fc_dp3 = _unit(c3, d3, g3)
        self.fc_dp4 = _unit(c4, d3, g3, up=2)
        self.fc_dp5 = _unit(c5, d3, g3, up=2)
        self.fc_dp6 = _unit(3 * d3, d3, g3, up=2)
        self.mean_shift = MeanShift(2)
        self.fc_dp7 = nn.Sequential(
            *_unit(d1 + d2 + d3, d3, g3),
            nn.Conv2d(d3, 2, 1, bias=False),
            self.mean_shift)

    @staticmethod
    def _crop(x: Tensor, ref: Tensor) -> Tensor:
        return x[..., :ref.shape[2], :ref.shape[3]]

    def forward(self, feats: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
        """Edge logits (B, 1, h, w) and displacements (B, 2, h, w), h x w
        the size of x2 (stride 4)."""
        if len(feats) != 5:
            raise ValueError(
                f'IRNHead needs the 5 backbone outputs x1..x5, got '
                f'{len(feats)}')
        x1, x2, x3, x4, x5 = feats
        e2 = self.fc_edge2(x2)
        edges = [self.fc_edge1(x1), e2] + [
            self._crop(unit(x), e2)
            for unit, x in ((self.fc_edge3, x3), (self.fc_edge4, x4),
                            (self.fc_edge5, x5))
        ]
        edge_logits = self.fc_edge6(torch.cat(edges, dim=1))
        p2 = self.fc_dp2(x2)
        p3 = self.fc_dp3(x3)
        p4 = self._crop(self.fc_dp4(x4), p3)
        p5 = self._crop(self.fc_dp5(x5), p3)
        p6 = self._crop(self.fc_dp6(torch.cat([p3, p4, p5], dim=1)), p2)
        displacement = self.fc_dp7(torch.cat([self.fc_dp1(x1), p2, p6],
                                             dim=1))
        return edge_logits, displacement
