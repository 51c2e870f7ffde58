import math

import pytest
import torch
from mmengine.logging import MessageHub

from mmwsss.models.losses.nal_ablations import (
    bootstrapping_loss,
    entropy_regularization,
    poly_beta,
)
from mmwsss.models.losses.noise_aware_loss import (
    nal_sigma,
    noise_aware_loss,
    reliable_ce,
    sigma_weighted_mean,
)
from mmwsss.registry import MODELS

TAU, GAMMA, LAM = 20.0, 7.0, 0.1

# One image, 5 pixels in a row, 3 classes: (cosine scores, label, reliable)
PIXELS = [
    ([0.5, 0.0, -0.5], 0, True),  # S
    ([0.2, 0.6, 0.0], 0, False),  # ~S, c* not top: α = 1.2 / 1.6
    ([0.0, -0.2, 0.4], 2, False),  # ~S, c* is the top class: σ = 1
    ([0.9, 0.9, 0.9], 255, False),  # ignored
    ([0.1, 0.3, -0.1], 1, True),  # S
]


def tiny_case():
    cos = torch.tensor([p[0] for p in PIXELS]).t().reshape(1, 3, 1, 5)
    label = torch.tensor([p[1] for p in PIXELS]).reshape(1, 1, 5)
    reliable = torch.tensor([p[2] for p in PIXELS]).reshape(1, 1, 5)
    return cos, label, reliable


def nll(scores, c):
    """-log softmax(τ·s)_c, by hand."""
    return -(TAU * scores[c] -
             math.log(sum(math.exp(TAU * v) for v in scores)))


def test_hand_computed_terms():
    cos, label, reliable = tiny_case()
    out = noise_aware_loss(cos, label, reliable)
    l_ce = (nll(PIXELS[0][0], 0) + nll(PIXELS[4][0], 1)) / 2
    sigma1 = (1.2 / 1.6)**GAMMA
    l_wce = (sigma1 * nll(PIXELS[1][0], 0) + 1.0 * nll(PIXELS[2][0], 2)) / (
        sigma1 + 1.0)
    assert out['loss_ce'].item() == pytest.approx(l_ce, rel=1e-5)
    assert out['loss_wce'].item() == pytest.approx(l_wce, rel=1e-5)
    assert out['loss'].item() == pytest.approx(l_ce + LAM * l_wce, rel=1e-5)
    expected_sigma = [1.0, sigma1, 1.0, 0.0, 1.0]
    # pixel 0 and 4: c* is the top class there too
    assert torch.allclose(out['sigma'].flatten(),
                          torch.tensor(expected_sigma))
    assert out['unreliable'].flatten().tolist() == [
        False, True, True, False, False
    ]


def test_sigma_is_one_where_label_is_top_class():
    torch.manual_seed(0)
    cos = torch.rand(2, 5, 4, 4) * 2 - 1
    label = cos.argmax(dim=1)
    sigma = nal_sigma(cos, label)
    assert torch.equal(sigma, torch.ones_like(sigma))
    other = (label + 1) % 5
    assert (nal_sigma(cos, other) < 1).all()
    assert (nal_sigma(cos, other) >= 0).all()


def test_sigma_gradient_vanishes_at_top_class():
    cos = torch.tensor([[0.3, 0.7, -0.2]]).t().reshape(1, 3, 1, 1)
    cos.requires_grad_(True)
    nal_sigma(cos, torch.ones(1, 1, 1, dtype=torch.long)).sum().backward()
    # α = D_{c*} / D_{c*}: zero up to float rounding
    assert cos.grad.abs().max() < 1e-6


def test_weighted_mean_gradient_wrt_sigma():
    values = torch.tensor([1.0, 3.0, 5.0, 7.0])
    sigma = torch.tensor([0.5, 0.2, 1.0, 0.3], requires_grad=True)
    region = torch.tensor([True, True, True, False])
    loss = sigma_weighted_mean(values, sigma, region)
    mean = (0.5 * 1 + 0.2 * 3 + 1.0 * 5) / 1.7
    assert loss.item() == pytest.approx(mean)
    loss.backward()
    expected = [(v - mean) / 1.7 for v in (1.0, 3.0, 5.0)] + [0.0]
    assert torch.allclose(sigma.grad, torch.tensor(expected))


def test_gradient_through_sigma_vs_detached():
    torch.manual_seed(1)
    cos = (torch.rand(2, 4, 3, 3) * 2 - 1).requires_grad_(True)
    label = torch.randint(0, 4, (2, 3, 3))
    reliable = torch.rand(2, 3, 3) > 0.5
    full = noise_aware_loss(cos, label, reliable)
    (g_full, ) = torch.autograd.grad(full['loss'], cos)
    detached = noise_aware_loss(cos, label, reliable, detach_sigma=True)
    (g_det, ) = torch.autograd.grad(detached['loss'], cos)
    assert torch.allclose(full['loss'], detached['loss'])
    assert not torch.allclose(g_full, g_det)
    # the difference is λ Σ_p (ℓ(p) - L_wce) / Σσ · ∂σ(p)/∂s
    sigma = nal_sigma(cos, label)
    log_h = torch.log_softmax(TAU * cos.detach(), dim=1)
    ell = -log_h.gather(1, label[:, None])[:, 0]
    region = full['unreliable']
    coef = torch.where(region, (ell - full['loss_wce'].detach()) /
                       sigma.detach()[region].sum(), torch.zeros_like(ell))
    (g_sigma, ) = torch.autograd.grad((sigma * coef).sum(), cos)
    assert torch.allclose(g_full - g_det, LAM * g_sigma, atol=1e-6)


def test_no_unreliable_pixels_gives_zero_wce_without_nan():
    cos = torch.rand(1, 3, 4, 4, requires_grad=True)
    label = torch.randint(0, 3, (1, 4, 4))
    label[0, 0] = 255
    out = noise_aware_loss(cos, label, torch.ones(1, 4, 4, dtype=torch.bool))
    assert out['loss_wce'].item() == 0.0
    assert out['loss'].item() == pytest.approx(out['loss_ce'].item())
    out['loss'].backward()
    assert torch.isfinite(cos.grad).all()
    # nothing labelled at all, and σ = 0 everywhere (s_{c*} = -1)
    for lab, c in ((torch.full_like(label, 255), cos),
                   (torch.zeros_like(label), torch.tensor([-1.0, 1.0, 0.0])
                    [None, :, None, None].expand(1, 3, 4, 4))):
        c = c.detach().clone().requires_grad_(True)
        out = noise_aware_loss(c, lab, torch.zeros(1, 4, 4, dtype=torch.bool))
        assert out['loss'].item() == 0.0
        out['loss'].backward()
        assert torch.isfinite(c.grad).all()


def test_ignored_pixels_have_no_effect():
    cos, label, reliable = tiny_case()
    cos = cos.clone().requires_grad_(True)
    out = noise_aware_loss(cos, label, reliable | (label == 255))
    out['loss'].backward()
    assert torch.equal(cos.grad[..., 3], torch.zeros(1, 3, 1))
    changed = cos.detach().clone()
    changed[..., 3] = torch.tensor([-1.0, 0.3, 1.0])[None, :, None]
    again = noise_aware_loss(changed, label, reliable)
    assert again['loss'].item() == pytest.approx(out['loss'].item())


def test_module_matches_function_and_logs_terms():
    cos, label, reliable = tiny_case()
    loss = MODELS.build(dict(type='NoiseAwareLoss', loss_weight=2.0))
    assert loss.loss_name == 'loss_nal'
    logits = (TAU * cos).requires_grad_(True)
    value, terms = loss(
        logits, label, reliable_mask=reliable, return_terms=True)
    ref = noise_aware_loss(cos, label, reliable)
    assert value.item() == pytest.approx(2 * ref['loss'].item(), rel=1e-5)
    assert value.dtype == torch.float32 and value.dim() == 0
    assert set(terms) == {'ce', 'wce', 'sigma', 'unreliable'}
    assert terms['sigma'].item() == pytest.approx(
        ((1.2 / 1.6)**GAMMA + 1) / 2, rel=1e-5)
    assert terms['unreliable'].item() == pytest.approx(2 / 4)
    value.backward()
    assert torch.isfinite(logits.grad).all()
    # explicit cosine scores take precedence over logits / τ
    value2 = loss(logits.detach(), label, reliable_mask=reliable,
                  cos_scores=cos)
    assert value2.item() == pytest.approx(value.item(), rel=1e-5)


def test_module_errors():
    with pytest.raises(ValueError, match='mode'):
        MODELS.build(dict(type='NoiseAwareLoss', mode='focal'))
    with pytest.raises(ValueError, match='bs_region'):
        MODELS.build(dict(type='NoiseAwareLoss', bs_region='box'))
    with pytest.raises(ValueError, match='loss_'):
        MODELS.build(dict(type='NoiseAwareLoss', loss_name='nal'))
    loss = MODELS.build(dict(type='NoiseAwareLoss'))
    cos, label, reliable = tiny_case()
    with pytest.raises(ValueError, match='reliable_mask'):
        loss(cos, label)
    with pytest.raises(NotImplementedError):
        loss(cos, label, weight=torch.ones(1, 1, 5), reliable_mask=reliable)


def test_baseline_is_reliable_ce():
    cos, label, reliable = tiny_case()
    loss = MODELS.build(dict(type='NoiseAwareLoss', mode='baseline'))
    value = loss(TAU * cos, label, reliable_mask=reliable)
    expected = (nll(PIXELS[0][0], 0) + nll(PIXELS[4][0], 1)) / 2
    assert value.item() == pytest.approx(expected, rel=1e-5)
    assert reliable_ce(TAU * cos, label, reliable).item() == pytest.approx(
        expected, rel=1e-5)


def entropy(scores):
    z = sum(math.exp(TAU * v) for v in scores)
    probs = [math.exp(TAU * v) / z for v in scores]
    return -sum(p * math.log(p) for p in probs)


def test_entropy_regularization():
    cos, label, reliable = tiny_case()
    loss = MODELS.build(dict(type='NoiseAwareLoss', mode='er', lam=0.1))
    value = loss(TAU * cos, label, reliable_mask=reliable)
    l_ce = (nll(PIXELS[0][0], 0) + nll(PIXELS[4][0], 1)) / 2
    l_er = (entropy(PIXELS[1][0]) + entropy(PIXELS[2][0])) / 2
    assert value.item() == pytest.approx(l_ce + 0.1 * l_er, abs=1e-6)
    region = ~reliable & (label != 255)
    assert entropy_regularization(TAU * cos, region).item() == \
        pytest.approx(l_er, abs=1e-7)


def test_bootstrapping_values_and_detach():
    cos, label, reliable = tiny_case()
    logits = (TAU * cos).requires_grad_(True)
    region = ~reliable & (label != 255)
    # β = 1: plain CE on the region
    l_bs1 = bootstrapping_loss(logits, label, region, beta=1.0)
    expected = (nll(PIXELS[1][0], 0) + nll(PIXELS[2][0], 2)) / 2
    assert l_bs1.item() == pytest.approx(expected, rel=1e-5)
    # β = 0 with a detached target: the entropy, but only a CE gradient
    l_bs0 = bootstrapping_loss(logits, label, region, beta=0.0)
    expected = (entropy(PIXELS[1][0]) + entropy(PIXELS[2][0])) / 2
    assert l_bs0.item() == pytest.approx(expected, rel=1e-4)
    (g_det, ) = torch.autograd.grad(l_bs0, logits)
    l_att = bootstrapping_loss(
        logits, label, region, beta=0.0, detach_target=False)
    (g_att, ) = torch.autograd.grad(l_att, logits)
    (g_er, ) = torch.autograd.grad(
        entropy_regularization(logits, region), logits)
    assert torch.allclose(g_att, g_er, atol=1e-6)
    assert not torch.allclose(g_det, g_att, atol=1e-6)
    # region 'reliable' covers S
    l_s = bootstrapping_loss(logits, label, reliable & (label != 255), 1.0)
    assert l_s.item() == pytest.approx(
        reliable_ce(logits, label, reliable).item(), rel=1e-5)


def test_bootstrapping_beta_follows_the_runner_iteration():
    assert poly_beta(0, 100) == 1.0
    assert poly_beta(50, 100, power=1.0) == pytest.approx(0.5)
    assert poly_beta(150, 100) == 0.0
    loss = MODELS.build(
        dict(type='NoiseAwareLoss', mode='bs', bs_max_iters=10, bs_power=1))
    hub = MessageHub.get_instance('test_nal_bs_beta')
    hub.update_info('iter', 4)
    assert loss.current_beta() == pytest.approx(0.6)
    cos, label, reliable = tiny_case()
    value, terms = loss(
        TAU * cos, label, reliable_mask=reliable, return_terms=True)
    region = ~reliable & (label != 255)
    expected = reliable_ce(TAU * cos, label, reliable) + 0.1 * \
        bootstrapping_loss(TAU * cos, label, region, 0.6)
    assert value.item() == pytest.approx(expected.item(), rel=1e-5)
    assert terms['beta'].item() == pytest.approx(0.6)
    # without bs_max_iters: the runner's max_iters
    hub.update_info('max_iters', 8)
    loss.bs_max_iters = None
    assert loss.current_beta() == pytest.approx(0.5)
