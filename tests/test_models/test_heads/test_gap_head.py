import pytest
import torch

from mmwsss.registry import MODELS


def build_head(**kwargs):
    cfg = dict(type='GAPHead', num_classes=3, in_channels=4)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_logits_are_mean_of_class_maps():
    head = build_head()
    feats = (torch.randn(2, 8, 5, 5), torch.randn(2, 4, 6, 7))
    maps = head.class_maps(feats)
    assert maps.shape == (2, 3, 6, 7)
    logits = head(feats)
    assert logits.shape == (2, 3)
    assert torch.allclose(logits, maps.mean(dim=(2, 3)), atol=1e-6)
    # linear and bias-free: GAP then classifier gives the same logits
    pooled = feats[-1].mean(dim=(2, 3))
    weight = head.classifier.weight.flatten(1)
    assert torch.allclose(logits, pooled @ weight.t(), atol=1e-5)


def test_hand_built_weights():
    head = build_head(num_classes=1, in_channels=2)
    with torch.no_grad():
        head.classifier.weight.copy_(
            torch.tensor([1.0, -2.0]).view(1, 2, 1, 1))
    x = torch.tensor([[[[1.0, 3.0]], [[0.5, 0.0]]]])  # (1, 2, 1, 2)
    assert torch.allclose(head.class_maps(x), torch.tensor([[[[0.0, 3.0]]]]))
    assert head(x).item() == pytest.approx(1.5)


def test_loss_and_gradient():
    head = build_head()
    x = torch.randn(2, 4, 6, 6)
    targets = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    outputs = head.forward_train(x)
    assert torch.allclose(outputs['logits'], head(x))
    assert torch.equal(outputs['cams'], head.class_maps(x))
    losses = head.loss(outputs, targets)
    assert set(losses) == {'loss_cls'}
    losses['loss_cls'].backward()
    assert head.classifier.weight.grad.abs().sum() > 0


def test_bad_num_classes():
    with pytest.raises(ValueError, match='num_classes'):
        build_head(num_classes=0)
