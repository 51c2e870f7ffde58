import math

import pytest
import torch

from mmwsss.models.necks.pixel_correlation_module import (
    cosine_affinity,
    pcm_seed,
    propagate,
)
from mmwsss.registry import MODELS

EPS = 1e-5


def test_seed_is_max_normed_one_hot_with_background():
    cams = torch.zeros(1, 3, 1, 2, dtype=torch.float64)
    cams[0, 0] = torch.tensor([[5.0, -3.0]])  # raw background: replaced
    cams[0, 1] = torch.tensor([[2.0, 1.0]])
    cams[0, 2] = torch.tensor([[-1.0, 4.0]])
    seed = pcm_seed(cams)
    a0 = (2 - EPS) / (2 + EPS)  # class 1 at pixel 0 (its maximum)
    b1 = (4 - EPS) / (4 + EPS)  # class 2 at pixel 1 (its maximum)
    # pixel 1: class 1 = (1 - eps) / (2 + eps) < class 2, so it is zeroed
    expected = torch.tensor([[[1 - a0, 1 - b1]], [[a0, 0.0]], [[0.0, b1]]],
                            dtype=torch.float64)
    assert torch.allclose(seed[0], expected, rtol=0, atol=1e-12)
    assert not seed.requires_grad
    # ties keep every maximal foreground channel
    tie = torch.ones(1, 3, 2, 2)
    assert torch.allclose(pcm_seed(tie)[:, 1:], torch.full((1, 2, 2, 2),
                                                           (1 - EPS) /
                                                           (1 + EPS)))
    with pytest.raises(ValueError):
        pcm_seed(torch.zeros(1, 1, 2, 2))


def test_cosine_affinity_by_hand():
    # pixels e0 = (1, 0), e1 = (0, 1), e2 = (1, 1), e3 = (-1, 0)
    e = torch.tensor([[1.0, 0.0, 1.0, -1.0], [0.0, 1.0, 1.0, 0.0]],
                     dtype=torch.float64).view(1, 2, 1, 4)
    r = 1 / math.sqrt(2)
    cos = torch.tensor([[1, 0, r, 0], [0, 1, r, 0], [r, r, 1, 0],
                        [0, 0, 0, 1]], dtype=torch.float64)  # ReLU'd
    expected = cos / cos.sum(dim=0, keepdim=True)
    aff = cosine_affinity(e, eps=0.0)
    assert aff.shape == (1, 4, 4)
    assert torch.allclose(aff[0], expected, atol=1e-12)
    assert torch.allclose(
        cosine_affinity(e)[0], expected, atol=1e-4)  # with the offsets


def test_propagate_is_a_column_weighted_average():
    aff = torch.tensor([[[0.5, 0.0], [0.5, 1.0]]])  # columns sum to 1
    cams = torch.tensor([[[[2.0, 4.0]], [[1.0, 0.0]]]])  # (1, 2, 1, 2)
    out = propagate(cams, aff)
    # y[c, j] = Σ_i cams[c, i] aff[i, j]
    expected = torch.tensor([[[[3.0, 4.0]], [[0.5, 0.0]]]])
    assert torch.allclose(out, expected)
    with pytest.raises(ValueError):
        propagate(cams, torch.ones(1, 3, 3))


def build_pcm(**kwargs):
    cfg = dict(
        type='PixelCorrelationModule',
        in_channels=(8, 16),
        feat_channels=(4, 6),
        embed_channels=5)
    cfg.update(kwargs)
    torch.manual_seed(0)
    pcm = MODELS.build(cfg)
    pcm.init_weights()
    return pcm


def test_module_shapes_gradients_and_official_init():
    pcm = build_pcm()
    assert pcm.f9.in_channels == 3 + 4 + 6 and pcm.f9.out_channels == 5
    # official init: Xavier-uniform gain 4 on f9 (bound 4·sqrt(6/(13+5)))
    bound = 4 * math.sqrt(6 / (13 + 5))
    assert pcm.f9.weight.abs().max() <= bound
    assert pcm.f9.weight.abs().max() > 0.5 * bound
    low = torch.randn(2, 8, 5, 6, requires_grad=True)
    high = torch.randn(2, 16, 5, 6, requires_grad=True)
    images = torch.randn(2, 3, 40, 48)
    cams = torch.randn(2, 4, 5, 6, requires_grad=True)
    out = pcm(cams, (low, high, None), images)
    assert out.shape == (2, 4, 5, 6)
    assert (out >= 0).all()
    out.sum().backward()
    # seed and backbone features are detached: only the PCM trains
    assert cams.grad is None and low.grad is None and high.grad is None
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in pcm.parameters())
    # a constant seed stays (almost) constant: columns are convex weights
    flat = pcm(torch.full((2, 3, 5, 6), 0.7), (low, high), images,
               seed=False)
    assert torch.allclose(flat, torch.full_like(flat, 0.7), atol=1e-4)


def test_module_options_and_errors():
    pcm = build_pcm(image_channels=0, in_index=(1, 0),
                    in_channels=(16, 8))
    feats = (torch.randn(1, 8, 3, 3), torch.randn(1, 16, 3, 3))
    # seed maps at another size are resized to the features' grid
    assert pcm(torch.rand(1, 3, 6, 6), feats).shape == (1, 3, 3, 3)
    with pytest.raises(ValueError, match='images'):
        build_pcm()(torch.rand(1, 3, 3, 3), feats)
    with pytest.raises(ValueError):
        build_pcm(in_channels=(8, ))
