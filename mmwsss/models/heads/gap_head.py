"""GAP head: the CAM baseline (Zhou et al. 2016; PSA/SEAM ResNet-38 CAM),
optionally with ACR's hidden 1×1 layer."""
from typing import List, Optional, Sequence, Union

import torch.nn as nn
from torch import Tensor

from mmwsss.registry import MODELS
from .base_cam_head import BaseCAMHead


@MODELS.register_module()
class GAPHead(BaseCAMHead):
    """1×1 bias-free classifier over the feature map, then global average.

    Class maps ``M_c = w_c^T x`` (the CAMs before ReLU) and image logits
    ``z_c = 1/(hw) Σ_ij M_c(i, j)``; since both steps are linear this equals
    GAP followed by a linear layer, as in PSA's ``fc8``. With
    ``hidden_channels`` the class maps are ``M = W₂ ∗ ReLU(W₁ ∗ x)``: the
    head of ACR (Kweon, Yoon, Yoon, "Weakly Supervised Semantic Segmentation
    via Adversarial Learning of Classifier and Reconstructor", CVPR 2023;
    sangrockEG/ACR ``fc8``/``fc9``, 4096 → 256 → C), the logits still being
    the spatial mean of M.

    Args:
        num_classes (int): number of foreground classes C.
        in_channels (int): channels of the selected feature map.
        hidden_channels (int, optional): output channels of a bias-free
            1×1 conv ``hidden`` + ReLU before ``classifier`` (ACR: 256).
            Default: None (``classifier`` directly on the features).
        in_index (int): which backbone/neck output to use. Default: -1.
        dropout (float): Dropout2d probability on the features before the
            classifier (PSA uses 0.5 in its own dropout7). Default: 0.
        loss_cls (dict): classification loss config.
        init_cfg (dict, optional): default Xavier-uniform on the 1×1 convs,
            as PSA/SEAM initialise ``fc8`` and ACR ``fc8``/``fc9``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 hidden_channels: Optional[int] = None,
                 in_index: int = -1,
                 dropout: float = 0.0,
                 loss_cls: dict = dict(type='MultiLabelSoftMarginLoss'),
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(
                     type='Xavier', layer='Conv2d', distribution='uniform')):
        super().__init__(
            num_classes, in_index=in_index, loss_cls=loss_cls,
            init_cfg=init_cfg)
        self.dropout = nn.Dropout2d(dropout) if dropout > 0 else nn.Identity()
        if hidden_channels is None:
            self.hidden = None
        elif hidden_channels < 1:
            raise ValueError(
                f'hidden_channels must be >= 1 or None, got {hidden_channels}')
        else:
            self.hidden = nn.Conv2d(
                in_channels, hidden_channels, 1, bias=False)
            in_channels = hidden_channels
        self.classifier = nn.Conv2d(in_channels, num_classes, 1, bias=False)

    def class_maps(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Raw class maps M (B, C, h, w), no ReLU: what CAMs are made of."""
        x = self.dropout(self._select(feats))
        if self.hidden is not None:
            x = self.hidden(x).relu()
        return self.classifier(x)

    def forward(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Image logits (B, C) = spatial mean of the class maps."""
        return self.class_maps(feats).mean(dim=(2, 3))

    def forward_train(self, feats: Union[Tensor, Sequence[Tensor]]) -> dict:
        """Training outputs: ``cams`` (the class maps M) and ``logits``."""
        cams = self.class_maps(feats)
        return dict(cams=cams, logits=cams.mean(dim=(2, 3)))
