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


def test_default_keeps_single_conv_and_its_key():
    head = build_head()
    assert head.hidden is None
    assert list(head.state_dict()) == ['classifier.weight']


def test_hidden_layer_is_acr_head():
    """hidden_channels: M = W2 * ReLU(W1 * x), both 1×1 bias-free,
    Xavier-uniform, logits = spatial mean of M (ACR fc8/fc9)."""
    head = build_head(num_classes=3, in_channels=4, hidden_channels=5)
    assert list(head.state_dict()) == ['hidden.weight', 'classifier.weight']
    assert head.hidden.weight.shape == (5, 4, 1, 1)
    assert head.classifier.weight.shape == (3, 5, 1, 1)
    assert head.hidden.bias is None and head.classifier.bias is None
    torch.manual_seed(0)
    head.init_weights()
    for conv, (fan_out, fan_in) in ((head.hidden, (5, 4)),
                                    (head.classifier, (3, 5))):
        bound = (6 / (fan_in + fan_out))**0.5  # Xavier-uniform
        assert conv.weight.abs().max() <= bound
        assert conv.weight.abs().max() > 0.5 * bound
    x = torch.randn(2, 4, 3, 3)
    w1 = head.hidden.weight.flatten(1)
    w2 = head.classifier.weight.flatten(1)
    expected = torch.einsum('ck,bkhw->bchw', w2,
                            torch.einsum('kd,bdhw->bkhw', w1, x).clamp(min=0))
    assert torch.allclose(head.class_maps(x), expected, atol=1e-6)
    assert torch.allclose(head(x), expected.mean(dim=(2, 3)), atol=1e-6)


def test_hand_built_hidden_weights():
    head = build_head(num_classes=1, in_channels=1, hidden_channels=2)
    with torch.no_grad():
        head.hidden.weight.copy_(torch.tensor([1.0, -1.0]).view(2, 1, 1, 1))
        head.classifier.weight.copy_(torch.tensor([2.0, 3.0]).view(1, 2, 1, 1))
    x = torch.tensor([[[[2.0, -1.0]]]])  # (1, 1, 1, 2)
    # ReLU(±x): (2, 0) and (0, 1) -> 2·2 + 3·0 = 4, 2·0 + 3·1 = 3
    assert torch.equal(head.class_maps(x), torch.tensor([[[[4.0, 3.0]]]]))


def test_bad_hidden_channels():
    with pytest.raises(ValueError, match='hidden_channels'):
        build_head(hidden_channels=0)
