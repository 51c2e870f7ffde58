import math

import pytest
import torch
import torch.nn.functional as F

from mmwsss.models.losses.fsl_adaptors import (
    fsl_guidance_image,
    fsl_prediction_map,
)
from mmwsss.models.losses.fsl_kernel import (
    colour_distance,
    dissimilarity,
    feature_similarity_loss,
    spatial_weight,
)
from mmwsss.registry import MODELS
from tests.references.feature_similarity_loss import (
    dense_feature_similarity_loss,
)


def loop_fsl(pred, guide, mu=2.5, sigma=5.0):
    """FSL by explicit loops over every ordered pixel pair."""
    n, c, h, w = pred.shape
    total = 0.0
    for b in range(n):
        pix = [(r, q) for r in range(h) for q in range(w)]
        for (ri, ci) in pix:
            for (rj, cj) in pix:
                delta = sum(
                    abs(float(guide[b, k, ri, ci] - guide[b, k, rj, cj]))
                    for k in range(3)) / 3
                delta = min(max(delta, 0.0), 1.0)
                f = math.tanh(mu + math.log(
                    (delta + 1e-5) / (1 - delta + 1e-5)))
                if sigma is None:
                    wgt = 1.0 / (h * w)
                else:
                    d2 = (ri - rj)**2 + (ci - cj)**2
                    wgt = math.exp(-d2 / (2 * sigma**2)) / (
                        2 * math.pi * sigma**2)
                dy = 0.5 * sum((float(pred[b, k, ri, ci]) -
                                float(pred[b, k, rj, cj]))**2
                               for k in range(c))
                total += wgt * f * dy
    return -total / (n * h * w)


def random_inputs(n=2, c=5, h=6, w=7, dtype=torch.float64, seed=0):
    gen = torch.Generator().manual_seed(seed)
    pred = torch.rand(n, c, h, w, generator=gen, dtype=dtype)
    # a blocky image: many similar and many dissimilar pairs
    guide = F.interpolate(
        torch.rand(n, 3, 3, 3, generator=gen, dtype=dtype),
        size=(h, w),
        mode='nearest')
    guide = guide + 0.02 * torch.rand(n, 3, h, w, generator=gen, dtype=dtype)
    return pred.requires_grad_(), guide


def test_two_pixel_value_by_hand():
    # pixels (0,0,0) and (0.3,0.3,0.3), Y = one-hot of different classes:
    # both ordered pairs have δ = 0.3, ½|ΔY|² = 1, distance 1.
    pred = torch.tensor([[[[1.0, 0.0]], [[0.0, 1.0]]]], dtype=torch.float64)
    guide = torch.tensor([[[[0.0, 0.3]]] * 3], dtype=torch.float64)
    f = math.tanh(2.5 + math.log(0.30001 / 0.70001))
    w = math.exp(-1 / 50) / (50 * math.pi)
    expected = -(2 * w * f * 1.0) / (1 * 2)
    assert feature_similarity_loss(pred, guide).item() == pytest.approx(
        expected, rel=1e-12)
    assert expected < 0  # a dissimilar pair with different labels: reward


@pytest.mark.parametrize('mu,sigma', [(2.5, 5.0), (1.0, 1.0), (2.5, None)])
def test_three_by_three_matches_explicit_loops(mu, sigma):
    pred = torch.tensor(
        [[[0.9, 0.8, 0.1], [0.7, 0.6, 0.2], [0.1, 0.0, 0.3]],
         [[0.1, 0.2, 0.9], [0.3, 0.4, 0.8], [0.9, 1.0, 0.7]]],
        dtype=torch.float64)[None]
    guide = torch.tensor(
        [[[0.9, 0.9, 0.1], [0.8, 0.85, 0.1], [0.1, 0.1, 0.2]],
         [[0.2, 0.25, 0.6], [0.2, 0.2, 0.6], [0.6, 0.6, 0.5]],
         [[0.1, 0.1, 0.3], [0.15, 0.1, 0.3], [0.3, 0.3, 0.3]]],
        dtype=torch.float64)[None]
    expected = loop_fsl(pred, guide, mu, sigma)
    for block_size in (1, 3, 5, None):
        got = feature_similarity_loss(
            pred, guide, mu=mu, sigma=sigma, block_size=block_size)
        assert got.item() == pytest.approx(expected, rel=1e-10, abs=1e-15)
    dense = dense_feature_similarity_loss(pred, guide, mu=mu, sigma=sigma)
    assert dense.item() == pytest.approx(expected, rel=1e-10, abs=1e-15)


@pytest.mark.parametrize('kwargs', [
    dict(),
    dict(mu=1.0, sigma=2.0),
    dict(sigma=None),
    dict(window=2),
    dict(window=2, sigma=None),
    dict(window=2.5, window_shape='circle'),
])
@pytest.mark.parametrize('block_size', [7, 15, None])
def test_exact_equals_dense_reference(kwargs, block_size):
    pred, guide = random_inputs()
    loss = feature_similarity_loss(pred, guide, block_size=block_size,
                                   **kwargs)
    grad, = torch.autograd.grad(loss, pred)
    ref = dense_feature_similarity_loss(pred, guide, **kwargs)
    ref_grad, = torch.autograd.grad(ref, pred)
    assert loss.dtype == torch.float64 and loss.dim() == 0
    assert loss.item() == pytest.approx(ref.item(), rel=1e-10)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-9, atol=1e-14)


def test_window_changes_value_and_large_window_is_exact():
    pred, guide = random_inputs(h=8, w=8)
    exact = feature_similarity_loss(pred, guide, sigma=2.0)
    small = feature_similarity_loss(pred, guide, sigma=2.0, window=1)
    full = feature_similarity_loss(pred, guide, sigma=2.0, window=7)
    assert small.item() != pytest.approx(exact.item(), rel=1e-3)
    assert full.item() == pytest.approx(exact.item(), rel=1e-12)
    zero = feature_similarity_loss(pred, guide, window=0)
    assert zero.item() == 0.0  # only i = j pairs, which contribute 0


def test_float32_close_to_float64():
    pred, guide = random_inputs(h=10, w=9)
    ref = feature_similarity_loss(pred, guide)
    pred32 = pred.detach().float().requires_grad_()
    loss32 = feature_similarity_loss(pred32, guide.float())
    assert loss32.dtype == torch.float32
    assert loss32.item() == pytest.approx(ref.item(), rel=1e-5)
    loss32.backward()
    ref_grad, = torch.autograd.grad(ref, pred)
    torch.testing.assert_close(
        pred32.grad.double(), ref_grad, rtol=1e-4, atol=1e-7)


def test_gradcheck_custom_function():
    pred, guide = random_inputs(n=2, c=3, h=3, w=4)
    for kwargs in (dict(block_size=4), dict(sigma=None, block_size=8),
                   dict(window=1, block_size=4)):
        assert torch.autograd.gradcheck(
            lambda y, kw=kwargs: feature_similarity_loss(y, guide, **kw),
            (pred, ))


def test_no_pair_tensor_kept_for_backward():
    pred, guide = random_inputs(n=2, c=4, h=12, w=12)
    saved = []

    def pack(t):
        saved.append(t.numel())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = feature_similarity_loss(pred, guide)
    assert max(saved) <= pred.numel()  # just (D - A) Y, not (h·w)² pairs
    loss.backward()
    assert pred.grad.shape == pred.shape


def test_constant_image_pulls_predictions_together():
    gen = torch.Generator().manual_seed(1)
    pred = torch.rand(1, 3, 6, 6, generator=gen, dtype=torch.float64)
    pred.requires_grad_()
    guide = torch.full((1, 3, 6, 6), 0.5, dtype=torch.float64)
    variances = [pred.detach().var(dim=(2, 3)).sum().item()]
    for _ in range(5):
        loss = feature_similarity_loss(pred, guide, sigma=2.0)
        assert loss.item() > 0  # all pairs similar: a smoothness penalty
        grad, = torch.autograd.grad(loss, pred)
        with torch.no_grad():
            pred -= 20.0 * grad
        variances.append(pred.detach().var(dim=(2, 3)).sum().item())
    assert all(b < a for a, b in zip(variances, variances[1:]))
    assert variances[-1] < 0.9 * variances[0]


def test_sigma_none_constant_weight_closed_form():
    # constant image, constant weight 1/(h·w): Σ_ij ½|Y_i - Y_j|² =
    # h·w Σ_i |Y_i - Ȳ|², so FSL = -f(0) · mean_n Σ_c var_pop(Y_c).
    pred, _ = random_inputs(n=2, c=3, h=5, w=4)
    guide = torch.full((2, 3, 5, 4), 0.3, dtype=torch.float64)
    f0 = math.tanh(2.5 + math.log(1e-5 / (1 + 1e-5)))
    var = pred.detach().var(dim=(2, 3), unbiased=False).sum(1).mean()
    loss = feature_similarity_loss(pred, guide, sigma=None)
    assert loss.item() == pytest.approx(-f0 * var.item(), rel=1e-10)
    torch.testing.assert_close(
        spatial_weight(torch.rand(3, 3), None, num_pixels=20),
        torch.full((3, 3), 0.05))


def test_pair_terms():
    a = torch.tensor([[0.0, 0.0, 0.0]])
    b = torch.tensor([[0.3, 0.6, 0.9]])
    assert colour_distance(a, b, dim=1).item() == pytest.approx(0.6)
    assert colour_distance(a - 5, b + 5, dim=1).item() == 1.0  # clamped
    delta = torch.tensor([0.0, 0.01, 0.0759, 0.3, 0.9, 1.0],
                         dtype=torch.float64)
    mu = 2.5
    expected = torch.tanh(mu + torch.log((delta + 1e-5) /
                                         (1 - delta + 1e-5)))
    torch.testing.assert_close(dissimilarity(delta, mu), expected)
    threshold = torch.tensor([1 / (1 + math.exp(mu))], dtype=torch.float64)
    assert abs(dissimilarity(threshold, mu).item()) < 1e-3  # δ* = 0.076
    assert dissimilarity(delta, 400.0).tolist()[1:] == [1.0] * 5
    assert dissimilarity(delta, -400.0).tolist() == [-1.0] * 6
    sq = torch.tensor([0.0, 1.0, 8.0], dtype=torch.float64)
    torch.testing.assert_close(
        spatial_weight(sq, 2.0),
        torch.exp(-sq / 8) / (8 * math.pi))
    with pytest.raises(ValueError, match='num_pixels'):
        spatial_weight(sq, None)


def test_prediction_map():
    gen = torch.Generator().manual_seed(0)
    cams = torch.randn(2, 4, 5, 5, generator=gen, dtype=torch.float64)
    cams.requires_grad_()
    labels = torch.tensor([[1., 0., 1., 0.], [0., 1., 0., 0.]],
                          dtype=torch.float64)
    pred = fsl_prediction_map(cams, labels)
    assert pred.shape == (2, 5, 5, 5)
    assert pred.min() >= 0 and pred.max() <= 1
    fg = pred[:, 1:]
    assert (fg[labels == 0] == 0).all()
    torch.testing.assert_close(pred[:, 0], 1 - fg.max(dim=1).values)
    # max-norm by hand for one present channel
    r = cams[0, 2].detach().clamp(min=0)
    expected = ((r - r.min() - 1e-5).clamp(min=0) /
                (r.max() - r.min() + 1e-5))
    torch.testing.assert_close(fg[0, 2], expected)
    # absent classes get exactly zero gradient, present ones some
    (pred * torch.rand(pred.shape, generator=gen,
                       dtype=torch.float64)).sum().backward()
    assert (cams.grad[labels == 0] == 0).all()
    assert (cams.grad[labels == 1].abs().sum(dim=(-1, -2)) > 0).all()
    # gradients through relu, min and max are the true derivatives
    assert torch.autograd.gradcheck(
        lambda s: fsl_prediction_map(s, labels),
        (cams.detach().clone().requires_grad_(), ))


def test_guidance_image():
    gen = torch.Generator().manual_seed(0)
    rgb = torch.rand(2, 3, 17, 13, generator=gen).requires_grad_()
    guide = fsl_guidance_image(rgb, (5, 4))
    assert guide.shape == (2, 3, 5, 4) and not guide.requires_grad
    # align_corners=True keeps the corner pixels
    torch.testing.assert_close(guide[..., 0, 0], rgb.detach()[..., 0, 0])
    torch.testing.assert_close(guide[..., -1, -1], rgb.detach()[..., -1, -1])
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    normed = (rgb.detach() - torch.tensor(mean)[:, None, None]) / torch.tensor(
        std)[:, None, None]
    torch.testing.assert_close(
        fsl_guidance_image(normed, (5, 4), mean, std), guide)
    assert fsl_guidance_image(rgb * 3 - 1, (5, 4)).min() >= 0
    assert fsl_guidance_image(rgb * 3 - 1, (5, 4)).max() <= 1
    with pytest.raises(ValueError, match='mean and std'):
        fsl_guidance_image(rgb, (5, 4), mean=mean)


def test_build_and_plug_in_protocol():
    loss_fn = MODELS.build(dict(type='FeatureSimilarityLoss', loss_weight=0.5))
    assert loss_fn.loss_name == 'loss_fsl'
    assert loss_fn.inputs == ('cams', 'labels', 'rgb_images')
    gen = torch.Generator().manual_seed(0)
    outputs = dict(
        cams=torch.randn(2, 4, 8, 8, generator=gen).requires_grad_(),
        labels=torch.tensor([[1., 0., 0., 1.], [0., 0., 1., 0.]]),
        rgb_images=torch.rand(2, 3, 29, 29, generator=gen),
        images=torch.randn(2, 3, 29, 29, generator=gen))
    loss = loss_fn(**{k: outputs[k] for k in loss_fn.inputs})
    assert loss.dim() == 0 and loss.dtype == torch.float32
    expected = 0.5 * feature_similarity_loss(
        fsl_prediction_map(outputs['cams'], outputs['labels']),
        fsl_guidance_image(outputs['rgb_images'], (8, 8)))
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    loss.backward()
    grad = outputs['cams'].grad
    assert torch.isfinite(grad).all()
    assert (grad[outputs['labels'] == 0] == 0).all()
    assert grad[outputs['labels'] == 1].abs().sum() > 0
    named = MODELS.build(
        dict(type='FeatureSimilarityLoss', sigma=None, window=3,
             loss_name='loss_fsl_coco'))
    assert named.loss_name == 'loss_fsl_coco'


@pytest.mark.parametrize('kwargs', [
    dict(sigma=0.0),
    dict(sigma=-1.0),
    dict(window=-1),
    dict(window_shape='diamond'),
    dict(block_size=0),
    dict(block_size=2.5),
    dict(mu=float('inf')),
    dict(loss_name='fsl'),
])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        MODELS.build(dict(type='FeatureSimilarityLoss', **kwargs))


def test_bad_inputs():
    pred, guide = random_inputs()
    with pytest.raises(ValueError, match='guide'):
        feature_similarity_loss(pred, guide[:, :, :-1])
    with pytest.raises(ValueError, match='guide'):
        feature_similarity_loss(pred, guide[:, :2])
    with pytest.raises(TypeError, match='floating'):
        feature_similarity_loss(pred.detach().long(), guide)
    with pytest.raises(ValueError, match='sigma'):
        feature_similarity_loss(pred, guide, sigma=0)
    with pytest.raises(ValueError, match='labels'):
        fsl_prediction_map(torch.zeros(2, 4, 3, 3), torch.zeros(2, 5))


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_matches_cpu():
    pred, guide = random_inputs(n=2, c=4, h=9, w=11)
    ref = feature_similarity_loss(pred, guide)
    ref_grad, = torch.autograd.grad(ref, pred)
    pred_cuda = pred.detach().cuda().requires_grad_()
    loss = feature_similarity_loss(pred_cuda, guide.cuda())
    loss.backward()
    assert loss.item() == pytest.approx(ref.item(), rel=1e-10)
    torch.testing.assert_close(pred_cuda.grad.cpu(), ref_grad)
