import math

import pytest
import torch
import torch.nn.functional as F

from mmwsss.registry import MODELS


def test_matches_hand_computed_value():
    loss_fn = MODELS.build(dict(type='MultiLabelSoftMarginLoss'))
    logits = torch.tensor([[0.0, 2.0]])
    targets = torch.tensor([[1.0, 0.0]])
    # -(log σ(0) + log(1 - σ(2))) / 2
    expected = (math.log(2.0) + math.log(1 + math.exp(2.0))) / 2
    assert loss_fn(logits, targets).item() == pytest.approx(expected, 1e-6)
    assert loss_fn.loss_name == 'loss_cls'


def test_equals_torch_and_scales_with_weight():
    torch.manual_seed(0)
    logits = torch.randn(4, 20, requires_grad=True)
    targets = (torch.rand(4, 20) > 0.7).float()
    loss_fn = MODELS.build(
        dict(type='MultiLabelSoftMarginLoss', loss_weight=0.5))
    loss = loss_fn(logits, targets)
    ref = F.multilabel_soft_margin_loss(logits, targets)
    assert torch.allclose(loss, 0.5 * ref)
    loss.backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all()


def test_bad_arguments():
    with pytest.raises(ValueError, match='loss_'):
        MODELS.build(dict(type='MultiLabelSoftMarginLoss', loss_name='cls'))
    loss_fn = MODELS.build(dict(type='MultiLabelSoftMarginLoss'))
    with pytest.raises(ValueError, match='one shape'):
        loss_fn(torch.zeros(2, 3), torch.zeros(2, 4))
