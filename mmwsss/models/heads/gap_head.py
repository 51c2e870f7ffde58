"""GAP head: the CAM baseline (Zhou et al. 2016; PSA/SEAM ResNet-38 CAM)."""
from typing import List, Optional, Sequence, Union

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmwsss.registry import MODELS


@MODELS.register_module()
class GAPHead(BaseModule):
    """1×1 bias-free classifier over the feature map, then global average.

    Class maps ``M_c = w_c^T x`` (the CAMs before ReLU) and image logits
    ``z_c = 1/(hw) Σ_ij M_c(i, j)``; since both steps are linear this equals
    GAP followed by a linear layer, as in PSA's ``fc8``.

    Args:
        num_classes (int): number of foreground classes C.
        in_channels (int): channels of the selected feature map.
        in_index (int): which backbone/neck output to use. Default: -1.
        dropout (float): Dropout2d probability on the features before the
            classifier (PSA uses 0.5 in its own dropout7). Default: 0.
        loss_cls (dict): classification loss config.
        init_cfg (dict, optional): default Xavier-uniform on the classifier,
            as PSA/SEAM initialise ``fc8``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 in_index: int = -1,
                 dropout: float = 0.0,
                 loss_cls: dict = dict(type='MultiLabelSoftMarginLoss'),
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(
                     type='Xavier', layer='Conv2d', distribution='uniform')):
        super().__init__(init_cfg=init_cfg)
        if num_classes < 1:
            raise ValueError(f'num_classes must be >= 1, got {num_classes}')
        self.num_classes = num_classes
        self.in_index = in_index
        self.dropout = nn.Dropout2d(dropout) if dropout > 0 else nn.Identity()
        self.classifier = nn.Conv2d(in_channels, num_classes, 1, bias=False)
        self.loss_cls = MODELS.build(loss_cls)

    def _select(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        return feats if isinstance(feats, Tensor) else feats[self.in_index]

    def class_maps(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Raw class maps M (B, C, h, w), no ReLU: what CAMs are made of."""
        return self.classifier(self.dropout(self._select(feats)))

    def forward(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Image logits (B, C) = spatial mean of the class maps."""
        return self.class_maps(feats).mean(dim=(2, 3))

    def forward_train(self, feats: Union[Tensor, Sequence[Tensor]]) -> dict:
        """Training outputs: ``cams`` (the class maps M) and ``logits``."""
        cams = self.class_maps(feats)
        return dict(cams=cams, logits=cams.mean(dim=(2, 3)))

    def loss(self, outputs: dict, targets: Tensor) -> dict:
        """Classification loss dict from :meth:`forward_train`'s
        ``logits`` and multi-hot ``targets`` (B, C)."""
        return {
            self.loss_cls.loss_name: self.loss_cls(outputs['logits'], targets)
        }
