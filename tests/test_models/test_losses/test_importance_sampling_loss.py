import math

import pytest
import torch
import torch.nn.functional as F

from mmwsss.models.losses.importance_sampling_loss import (
    gathered_bce,
    importance_sampling_loss,
    isl_class_logits,
    isl_sampling_distribution,
    sample_pixel_indices,
)
from mmwsss.registry import MODELS
from tests.references.importance_sampling_loss import (
    expected_importance_sampling_loss,
)


def softplus(z):
    return math.log1p(math.exp(z))


def random_scores(n=2, k=3, h=6, w=6, seed=0):
    gen = torch.Generator().manual_seed(seed)
    scores = 2 * torch.randn(n, k, h, w, generator=gen, dtype=torch.float64)
    return scores.requires_grad_()


def test_value_from_given_indices_by_hand():
    scores = torch.tensor([[[[0.5, -1.0], [2.0, 0.0]],
                            [[1.5, -0.5], [3.0, -2.0]]]],
                          dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([[1.0, 0.0]])
    indices = torch.tensor([[[0, 3, 3], [1, 1, 2]]])
    # class 0 present: BCE = softplus(-z); class 1 absent: softplus(z)
    expected = (softplus(-0.5) + 2 * softplus(-0.0) + 2 * softplus(-0.5) +
                softplus(3.0)) / 6
    loss = importance_sampling_loss(scores, labels, indices=indices)
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    # gradient only at the gathered logits, duplicates accumulate:
    # count · (sigmoid(z) - y) / (N·K·S)
    loss.backward()
    sig = torch.sigmoid(scores.detach())
    expected_grad = torch.zeros_like(scores)
    expected_grad[0, 0, 0, 0] = (sig[0, 0, 0, 0] - 1) / 6
    expected_grad[0, 0, 1, 1] = 2 * (sig[0, 0, 1, 1] - 1) / 6
    expected_grad[0, 1, 0, 1] = 2 * sig[0, 1, 0, 1] / 6
    expected_grad[0, 1, 1, 0] = sig[0, 1, 1, 0] / 6
    torch.testing.assert_close(scores.grad, expected_grad)


def test_sampling_distribution():
    scores = random_scores()
    q = isl_sampling_distribution(scores)
    assert q.shape == (2, 3, 36) and not q.requires_grad
    p = torch.sigmoid(scores.detach()).flatten(2) + 1e-5
    torch.testing.assert_close(q, p / p.sum(2, keepdim=True))
    torch.testing.assert_close(q.sum(2), torch.ones(2, 3, dtype=q.dtype))
    # a map far below zero is still sampled (the 1e-5 offset)
    low = isl_sampling_distribution(torch.full((1, 1, 2, 2), -1e4))
    torch.testing.assert_close(low, torch.full((1, 1, 4), 0.25))


def test_sampling_with_generator_is_reproducible():
    scores = random_scores()
    q = isl_sampling_distribution(scores)
    idx1 = sample_pixel_indices(q, 10, torch.Generator().manual_seed(3))
    idx2 = sample_pixel_indices(q, 10, torch.Generator().manual_seed(3))
    idx3 = sample_pixel_indices(q, 10, torch.Generator().manual_seed(4))
    assert idx1.shape == (2, 3, 10) and idx1.dtype == torch.int64
    assert idx1.min() >= 0 and idx1.max() < 36
    assert torch.equal(idx1, idx2) and not torch.equal(idx1, idx3)
    labels = torch.tensor([[1., 0., 1.], [0., 0., 1.]])
    loss = importance_sampling_loss(
        scores, labels, generator=torch.Generator().manual_seed(3))
    same = importance_sampling_loss(scores, labels, indices=idx1)
    assert loss.item() == same.item()
    with pytest.raises(ValueError, match='num_samples'):
        sample_pixel_indices(q, 0)


@pytest.mark.parametrize('variant', ['binomial', 'categorical'])
def test_expectation_matches_monte_carlo(variant):
    """Mean of M draws vs the deterministic expectation, within 5 standard
    errors of the Monte-Carlo mean (computed from q and the BCE values)."""
    scores = random_scores()
    labels = torch.tensor([[1., 0., 1.], [0., 0., 1.]], dtype=torch.float64)
    n, k = labels.shape
    draws = 20000  # one call with S = M·10 = mean of M draws of S = 10
    gen = torch.Generator().manual_seed(0)
    mc = importance_sampling_loss(
        scores, labels, num_samples=draws * 10, generator=gen,
        variant=variant)
    exact = expected_importance_sampling_loss(scores, labels, variant=variant)
    q = isl_sampling_distribution(scores, variant)
    z = isl_class_logits(scores, variant).detach().flatten(2)
    bce = F.binary_cross_entropy_with_logits(
        z, labels[:, :, None].expand_as(z), reduction='none')
    var = (q * bce**2).sum(2) - (q * bce).sum(2)**2  # Var_q per (n, c)
    std_err = var.sum().sqrt() / (n * k * math.sqrt(draws * 10))
    assert abs(mc.item() - exact.item()) < 5 * std_err.item()
    assert std_err.item() < 0.01 * exact.item()  # the check has teeth
    # gradients: counts/M ~ q per pixel, standard error sqrt(q(1-q)/M)
    if variant == 'binomial':
        g_mc, = torch.autograd.grad(mc, scores)
        g_exact, = torch.autograd.grad(exact, scores)
        sig = torch.sigmoid(scores.detach()).flatten(2)
        qg = q * (sig - labels[:, :, None]) / (n * k)
        torch.testing.assert_close(g_exact.flatten(2), qg)
        bound = 6 * (q * (1 - q) / (draws * 10)).sqrt() * (
            sig - labels[:, :, None]).abs() / (n * k)
        assert ((g_mc - g_exact).flatten(2).abs() <= bound + 1e-12).all()


def test_background_channel_is_ignored():
    scores = random_scores(k=4)  # channel 0 = background
    labels = torch.tensor([[1., 0., 1.], [0., 0., 1.]])
    loss = importance_sampling_loss(
        scores, labels, generator=torch.Generator().manual_seed(5),
        background_index=0)
    fg_only = importance_sampling_loss(
        scores[:, 1:], labels, generator=torch.Generator().manual_seed(5))
    assert loss.item() == pytest.approx(fg_only.item(), rel=1e-12)
    loss.backward()
    assert (scores.grad[:, 0] == 0).all()
    exp_bg = expected_importance_sampling_loss(
        scores, labels, background_index=0)
    exp_fg = expected_importance_sampling_loss(scores[:, 1:], labels)
    assert exp_bg.item() == pytest.approx(exp_fg.item(), rel=1e-12)


def test_absent_classes_are_sampled_with_zero_target():
    scores = random_scores()
    labels = torch.zeros(2, 3)
    q = isl_sampling_distribution(scores)
    idx = sample_pixel_indices(q, 10, torch.Generator().manual_seed(0))
    loss = importance_sampling_loss(scores, labels, indices=idx)
    z = scores.detach().flatten(2).gather(2, idx)
    assert loss.item() == pytest.approx(F.softplus(z).mean().item())
    loss.backward()
    # descending the gradient lowers the sampled (most active) logits
    assert (scores.grad >= 0).all() and scores.grad.sum() > 0
    # absent classes' draws favour their high-score pixels
    top = scores.detach().flatten(2).argmax(2)
    assert (q.gather(2, top[..., None]).squeeze(2) > 1 / 36).all()


def test_categorical_variant_given_indices():
    scores = random_scores(n=1, k=2, h=2, w=2)
    labels = torch.tensor([[0., 1.]])
    indices = torch.tensor([[[0, 2], [3, 3]]])
    loss = importance_sampling_loss(
        scores, labels, indices=indices, variant='categorical')
    s = scores.detach()
    logits = torch.cat([torch.zeros(1, 1, 2, 2, dtype=s.dtype), s], 1)
    p = logits.softmax(1)[:, 1:].flatten(2)  # constant 0 background logit
    eps = 1e-3
    total = 0.0
    for c, pix in [(0, 0), (0, 2), (1, 3), (1, 3)]:
        pc = p[0, c, pix].item()
        z = math.log(pc * (1 - eps) + eps) - math.log(1 - pc * (1 - eps))
        total += softplus(z) if labels[0, c] == 0 else softplus(-z)
    assert loss.item() == pytest.approx(total / 4, rel=1e-12)
    # with a background channel, the softmax includes it and it gets grad
    full = random_scores(n=1, k=3, h=2, w=2)
    importance_sampling_loss(
        full, labels, indices=indices, variant='categorical',
        background_index=0).backward()
    assert full.grad[:, 0].abs().sum() > 0


def test_build_and_plug_in_protocol():
    loss_fn = MODELS.build(dict(type='ImportanceSamplingLoss', seed=7))
    assert loss_fn.loss_name == 'loss_isl'
    assert loss_fn.inputs == ('cams', 'labels')
    assert loss_fn.num_samples == 10 and loss_fn.loss_weight == 0.1
    cams = random_scores().detach().float().requires_grad_()
    labels = torch.tensor([[1., 0., 1.], [0., 0., 1.]])
    outputs = dict(cams=cams, labels=labels, rgb_images=None, images=None)
    loss = loss_fn(**{k: outputs[k] for k in loss_fn.inputs})
    assert loss.dim() == 0 and loss.dtype == torch.float32
    loss.backward()
    assert torch.isfinite(cams.grad).all()
    assert (cams.grad != 0).sum() <= 2 * 3 * 10  # only gathered logits
    # a fresh module with the same seed draws the same pixels
    again = MODELS.build(dict(type='ImportanceSamplingLoss', seed=7))
    assert again(cams, labels).item() == loss.item()
    expected = 0.1 * importance_sampling_loss(
        cams, labels, generator=torch.Generator().manual_seed(7))
    assert loss.item() == pytest.approx(expected.item())
    categorical = MODELS.build(
        dict(type='ImportanceSamplingLoss', variant='categorical',
             num_samples=100, loss_weight=0.8, loss_name='loss_icam'))
    assert categorical.loss_name == 'loss_icam'
    assert torch.isfinite(categorical(cams, labels))


@pytest.mark.parametrize('kwargs', [
    dict(num_samples=0),
    dict(num_samples=2.5),
    dict(variant='softmax'),
    dict(eps=0.0),
    dict(loss_name='isl'),
])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        MODELS.build(dict(type='ImportanceSamplingLoss', **kwargs))


def test_bad_inputs():
    scores = random_scores()
    with pytest.raises(ValueError, match='labels'):
        importance_sampling_loss(scores, torch.zeros(2, 4))
    with pytest.raises(ValueError, match='labels'):
        importance_sampling_loss(scores, torch.zeros(2, 3),
                                 background_index=0)
    with pytest.raises(ValueError, match='indices'):
        gathered_bce(scores, torch.zeros(2, 3),
                     torch.zeros(2, 2, 5, dtype=torch.long))
    with pytest.raises(ValueError, match='variant'):
        expected_importance_sampling_loss(scores, torch.zeros(2, 3),
                                          variant='multinomial')


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_seeded_module():
    loss_fn = MODELS.build(dict(type='ImportanceSamplingLoss', seed=1))
    cams = random_scores().detach().cuda().requires_grad_()
    labels = torch.tensor([[1., 0., 1.], [0., 0., 1.]]).cuda()
    loss = loss_fn(cams, labels)
    loss.backward()
    assert loss.is_cuda and torch.isfinite(loss)
