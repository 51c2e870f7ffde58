"""What every CAM head shares: the class count, the choice of feature map
and the classification loss on the image logits."""
from typing import List, Optional, Sequence, Union

from mmengine.model import BaseModule
from torch import Tensor

from mmwsss.registry import MODELS


class BaseCAMHead(BaseModule):
    """Base of the CAM heads (see docs/en/advanced_guides/add_components.md).

    Subclasses define ``class_maps(feats)`` (the raw class maps, what CAMs
    are made of), ``forward(feats)`` (image logits) and
    ``forward_train(feats)`` (a dict with at least ``cams`` and
    ``logits``); :meth:`loss` applies ``loss_cls`` to the logits.

    Args:
        num_classes (int): foreground classes K.
        in_index (int): which backbone/neck output to use. Default: -1.
        loss_cls (dict): classification loss config.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 num_classes: int,
                 in_index: int = -1,
                 loss_cls: dict = dict(type='MultiLabelSoftMarginLoss'),
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        if num_classes < 1:
            raise ValueError(f'num_classes must be >= 1, got {num_classes}')
        self.num_classes = num_classes
        self.in_index = in_index
        self.loss_cls = MODELS.build(loss_cls)

    def _select(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        return feats if isinstance(feats, Tensor) else feats[self.in_index]

    def loss(self, outputs: dict, targets: Tensor) -> dict:
        """Classification loss dict from ``forward_train``'s ``logits`` and
        multi-hot ``targets`` (B, K)."""
        return {
            self.loss_cls.loss_name: self.loss_cls(outputs['logits'], targets)
        }
