import math

import pytest
import torch

from mmwsss.models.heads.gpp_head import GatedMerge, pyramid_pool
from mmwsss.registry import MODELS


def build_head(**kwargs):
    cfg = dict(type='GPPHead', num_classes=20, in_channels=16,
               hidden_channels=16)
    cfg.update(kwargs)
    torch.manual_seed(0)
    head = MODELS.build(cfg)
    head.init_weights()
    return head


def adaptive_pool_reference(x, r):
    """PyTorch's adaptive bins written out: bin i covers
    [floor(i*h/r), ceil((i+1)*h/r))."""
    h, w = x.shape[-2:]
    out = torch.empty(*x.shape[:-2], r, r, dtype=x.dtype)
    for i in range(r):
        for j in range(r):
            rows = slice(math.floor(i * h / r), math.ceil((i + 1) * h / r))
            cols = slice(math.floor(j * w / r), math.ceil((j + 1) * w / r))
            out[..., i, j] = x[..., rows, cols].mean(dim=(-2, -1))
    return out


@pytest.mark.parametrize('size', [(16, 16), (20, 13), (40, 40), (3, 5)])
def test_shapes_and_pyramid_semantics(size):
    head = build_head()
    feats = torch.randn(2, 16, *size)
    out = head.forward_train(feats)
    assert out['cams'].shape == (2, 20) + size
    assert out['gpp_map'].shape == (2, 20) + size
    assert out['logits'].shape == (2, 20)
    inter = head.pyramid(out['cams'])
    assert len(inter['pooled']) == 4 and len(inter['merged']) == 4
    assert torch.equal(inter['merged'][-1], out['gpp_map'])
    # each level: adaptive bins (overlapping / repeated cells) + bilinear up
    for r, level in zip((2, 4, 8, 16), inter['pooled']):
        coarse = adaptive_pool_reference(out['cams'], r)
        expected = torch.nn.functional.interpolate(
            coarse, size=size, mode='bilinear', align_corners=False)
        assert torch.allclose(level, expected, atol=1e-5)


def test_gates_are_single_maps_in_unit_interval():
    head = build_head()
    inter = head.pyramid(head.class_maps(torch.randn(2, 16, 20, 13)))
    assert len(inter['pos_gates']) == len(inter['neg_gates']) == 3
    for gate in inter['pos_gates'] + inter['neg_gates']:
        assert gate.shape == (2, 2, 20, 13)
        assert (gate > 0).all() and (gate < 1).all()


def test_gated_merge_formula():
    merge = GatedMerge(num_classes=3)
    a, b = torch.randn(2, 3, 5, 4), torch.randn(2, 3, 5, 4)
    # zero convs: every gate is sigmoid(0) = 1/2, so G = (A + B) / 4
    torch.nn.init.zeros_(merge.pos_gate.weight)
    torch.nn.init.zeros_(merge.neg_gate.weight)
    out, alpha, beta = merge(a, b)
    assert torch.allclose(out, (a + b) / 4)
    assert torch.allclose(alpha, torch.full_like(alpha, 0.5))
    # general gates: positive parts weighted by alpha only, negative by beta
    torch.manual_seed(1)
    torch.nn.init.normal_(merge.pos_gate.weight)
    torch.nn.init.normal_(merge.neg_gate.weight)
    out, alpha, beta = merge(a, b)
    expected = 0.5 * (alpha[:, :1] * a.clamp(min=0) +
                      alpha[:, 1:] * b.clamp(min=0)) - 0.5 * (
                          beta[:, :1] * (-a).clamp(min=0) +
                          beta[:, 1:] * (-b).clamp(min=0))
    assert torch.allclose(out, expected)
    pos_in = torch.cat([a.clamp(min=0), b.clamp(min=0)], dim=1)
    assert torch.allclose(
        alpha, torch.sigmoid(torch.nn.functional.conv2d(
            pos_in, merge.pos_gate.weight, padding=1)))


def test_negative_gate_off_fixes_beta_to_one():
    head = build_head(negative_gate=False)
    assert all(gate.neg_gate is None for gate in head.gates)
    inter = head.pyramid(head.class_maps(torch.randn(1, 16, 8, 8)))
    assert all(torch.equal(b, torch.ones_like(b)) for b in inter['neg_gates'])


def test_logit_formula_on_hand_built_case():
    head = build_head(num_classes=1)
    f = torch.tensor([[[[1.0, -2.0], [3.0, -1.0]]]])
    p = torch.tensor([[[[2.0, 1.0], [-1.0, -3.0]]]])
    # f+P+ = [2, 0, 0, 0] -> 0.5; f-P- = [0, 0, 0, 3] -> 0.75
    assert head.score_maps(f, p).item() == pytest.approx(-0.25)
    assert build_head(num_classes=1, score='positive').score_maps(
        f, p).item() == pytest.approx(0.5)
    assert build_head(num_classes=1, score='negative').score_maps(
        f, p).item() == pytest.approx(-0.75)


def test_gradient_reaches_every_gate_and_conv():
    head = build_head()
    logits = head(torch.randn(2, 16, 20, 13))
    head.loss(dict(logits=logits), torch.randint(0, 2, (2, 20)).float())[
        'loss_cls'].backward()
    for name, param in head.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_official_layout_and_parameter_count():
    head = MODELS.build(
        dict(type='GPPHead', num_classes=20, in_channels=4096))
    # fc8 1,048,576 + fc9 5,120 + 3 x 2 gates x 720 (the official
    # model minus its unused bn8)
    assert sum(p.numel() for p in head.parameters()) == 1_058_016
    keys = set(head.state_dict())
    assert {'hidden.weight', 'classifier.weight', 'gates.2.pos_gate.weight',
            'gates.2.neg_gate.weight'} <= keys
    assert head.gates[0].pos_gate.bias is None
    assert head.gates[0].pos_gate.weight.shape == (2, 40, 3, 3)


def test_gate_convs_keep_default_init():
    torch.manual_seed(3)
    head = MODELS.build(
        dict(type='GPPHead', num_classes=4, in_channels=8, hidden_channels=8))
    before = head.gates[0].pos_gate.weight.clone()
    hidden_before = head.hidden.weight.clone()
    head.init_weights()
    assert torch.equal(before, head.gates[0].pos_gate.weight)
    assert not torch.equal(hidden_before, head.hidden.weight)


def test_ablation_merges():
    cams = torch.randn(1, 20, 12, 9)
    average = build_head(merge='average')
    inter = average.pyramid(cams)
    assert len(average.gates) == 0
    levels = pyramid_pool(cams, (2, 4, 8, 16))
    assert torch.allclose(inter['merged'][-1], torch.stack(levels).mean(0))
    reverse = build_head(merge_order='fine_to_coarse')
    assert reverse.bins == (16, 8, 4, 2)
    single = build_head(pyramid=(16, ))
    assert len(single.gates) == 0
    assert torch.allclose(
        single.pyramid(cams)['merged'][-1], pyramid_pool(cams, (16, ))[0])
    no_hidden = build_head(hidden_channels=None)
    assert no_hidden.hidden is None
    maps = no_hidden.class_maps(torch.randn(1, 16, 4, 4))
    assert maps.shape == (1, 20, 4, 4)


@pytest.mark.parametrize('kwargs', [
    dict(num_classes=0), dict(pyramid=()), dict(pyramid=(0, 4)),
    dict(merge='max'), dict(merge_order='random'), dict(score='both')
])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        build_head(**kwargs)
