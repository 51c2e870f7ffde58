"""Multi-label soft-margin loss: the classification loss of CAM classifiers."""
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmwsss.registry import MODELS


@MODELS.register_module()
class MultiLabelSoftMarginLoss(nn.Module):
    """Per-class binary cross-entropy on image logits, averaged.

    ``L = -1/(B·C) Σ_b Σ_c [y_bc log σ(z_bc) + (1 - y_bc) log(1 - σ(z_bc))]``,
    identical to :func:`torch.nn.functional.multilabel_soft_margin_loss`
    (mean over classes, then over the batch), the loss of PSA/SEAM/AEFT.

    Args:
        loss_weight (float): multiplier. Default: 1.0.
        loss_name (str): key in the loss dict; starts with ``loss_``.
            Default: ``'loss_cls'``.
    """

    def __init__(self, loss_weight: float = 1.0,
                 loss_name: str = 'loss_cls') -> None:
        super().__init__()
        if not loss_name.startswith('loss_'):
            raise ValueError(f'loss_name must start with "loss_", got '
                             f'"{loss_name}"')
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, logits: Tensor, targets: Tensor) -> Tensor:
        """Args: logits (B, C); targets (B, C) multi-hot in {0, 1}.

        Returns:
            Tensor: scalar loss, already multiplied by ``loss_weight``.
        """
        if logits.shape != targets.shape:
            raise ValueError(f'logits {tuple(logits.shape)} and targets '
                             f'{tuple(targets.shape)} must have one shape')
        loss = F.binary_cross_entropy_with_logits(
            logits, targets.to(logits.dtype), reduction='mean')
        return self.loss_weight * loss

    @property
    def loss_name(self) -> str:
        return self._loss_name


__all__ = ['MultiLabelSoftMarginLoss']
