"""AffinityLoss: hand-computed counts, terms and total; empty sets; the
loss dict under mmengine; gradients through the affinity head."""
import math

import pytest
import torch
from mmengine.model import BaseModel

from mmwsss.registry import MODELS

EPS = 1e-5


def loss_fn(**kwargs):
    return MODELS.build(dict(type='AffinityLoss', **kwargs))


def test_hand_computed_terms():
    aff = torch.tensor([[[0.9, 0.5, 0.2], [0.7, 0.1, 1.0]]],
                       dtype=torch.float64)
    bg = torch.tensor([[[1., 0, 0], [0, 0, 1]]])
    fg = torch.tensor([[[0., 1, 0], [0, 0, 0]]])
    neg = torch.tensor([[[0., 0, 1], [1, 1, 0]]])
    out = loss_fn()(aff, bg, fg, neg)
    l_bg = (-math.log(0.9 + EPS) - math.log(1.0 + EPS)) / (2 + EPS)
    l_fg = -math.log(0.5 + EPS) / (1 + EPS)
    l_neg = (-math.log(1 + EPS - 0.2) - math.log(1 + EPS - 0.7) -
             math.log(1 + EPS - 0.1)) / (3 + EPS)
    assert out['aff_bg'].item() == pytest.approx(l_bg, rel=1e-12)
    assert out['aff_fg'].item() == pytest.approx(l_fg, rel=1e-12)
    assert out['aff_neg'].item() == pytest.approx(l_neg, rel=1e-12)
    assert [out[f'count_{k}'].item() for k in ('bg', 'fg', 'neg')] == [2, 1, 3]
    assert out['loss'].item() == pytest.approx(
        l_bg / 4 + l_fg / 4 + l_neg / 2, rel=1e-12)
    out = loss_fn(weights=(1, 0, 2))(aff, bg, fg, neg)
    assert out['loss'].item() == pytest.approx(l_bg + 2 * l_neg, rel=1e-12)


def test_counts_are_over_the_batch():
    # two images with 1 and 3 fg pairs: one normaliser of 4, not a mean of
    # per-image terms
    aff = torch.tensor([[[0.5, 0.9, 0.9, 0.9]], [[0.25, 0.125, 0.25, 0.9]]],
                       dtype=torch.float64)
    fg = torch.tensor([[[1., 0, 0, 0]], [[1., 1, 1, 0]]])
    zeros = torch.zeros_like(fg)
    out = loss_fn()(aff, zeros, fg, zeros)
    logs = -(math.log(0.5 + EPS) + math.log(0.25 + EPS) +
             math.log(0.125 + EPS) + math.log(0.25 + EPS))
    assert out['aff_fg'].item() == pytest.approx(logs / (4 + EPS), rel=1e-12)
    assert out['count_fg'].item() == 4
    assert out['aff_bg'].item() == 0 and out['aff_neg'].item() == 0


def test_empty_sets_give_zero():
    aff = torch.rand(2, 3, 4, dtype=torch.float64)
    zeros = torch.zeros(2, 3, 4)
    out = loss_fn()(aff, zeros, zeros, zeros)
    assert out['loss'].item() == 0
    assert all(out[k].item() == 0 for k in out)
    out = loss_fn(eps=0)(aff, zeros, zeros, zeros)
    assert out['loss'].item() == 0


def test_loss_dict_under_mmengine():
    aff = torch.rand(1, 2, 3, dtype=torch.float64)
    ones = torch.ones(1, 2, 3)
    out = loss_fn()(aff, ones, ones, ones)
    assert [k for k in out if 'loss' in k] == ['loss']
    total, log_vars = BaseModel.parse_losses(None, out)
    assert torch.equal(total, out['loss'])
    assert set(log_vars) == set(out)


def test_bad_input():
    with pytest.raises(ValueError, match='same radius'):
        loss_fn()(torch.rand(1, 2, 3), torch.zeros(1, 2, 4),
                  torch.zeros(1, 2, 3), torch.zeros(1, 2, 3))
    with pytest.raises(ValueError, match='bg, fg, neg'):
        loss_fn(weights=(1, 1))


def test_gradients_through_the_head():
    head = MODELS.build(
        dict(type='AffinityHead', in_channels=(3, 4, 5), channels=(2, 2, 3)))
    head.init_weights()
    head.double()
    gen = torch.Generator().manual_seed(0)
    feats = tuple(
        torch.randn(2, c, 5, 9, generator=gen, dtype=torch.float64,
                    requires_grad=True) for c in (3, 4, 5))
    shape = (2, 22, 6)  # radius 4: 22 directions, (5-3) x (9-6) sources
    labels = torch.randint(0, 3, shape, generator=gen)
    bg, fg, neg = [(labels == k).double() for k in range(3)]
    criterion = loss_fn()

    def total(*xs):
        aff = head.pair_affinities(head(xs), 4)
        assert aff.shape == shape
        return criterion(aff, bg, fg, neg)['loss']

    assert torch.autograd.gradcheck(total, feats)
    head.zero_grad()
    total(*feats).backward()
    for name in ('f8_3', 'f8_4', 'f8_5', 'f9'):
        grad = getattr(head, name).weight.grad
        assert grad is not None and grad.abs().sum() > 0
    # the loss decreases along the negative gradient of the head weights
    before = total(*feats).item()
    with torch.no_grad():
        for param in head.parameters():
            param -= 1e-3 * param.grad
    assert total(*feats).item() < before
