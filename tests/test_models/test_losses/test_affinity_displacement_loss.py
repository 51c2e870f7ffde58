"""IRN's affinity and displacement loss against a direct loop."""
import numpy as np
import pytest
import torch

from mmwsss.models.losses import (
    AffinityDisplacementLoss,
    affinity_displacement_terms,
    pair_displacement,
)
from mmwsss.ops import PathIndex, direction_path, path_pair_labels
from mmwsss.registry import MODELS

EPS = 1e-5


def loop_reference(edge_logits, disp, bg_pos, fg_pos, neg, radius):
    """Every term by explicit loops over images, directions and sources."""
    bg_pos, fg_pos, neg = (np.asarray(t, np.float64)
                           for t in (bg_pos, fg_pos, neg))
    edge = torch.sigmoid(edge_logits).detach().numpy()[:, 0]
    dp = disp.detach().numpy()
    batch, height, width = edge.shape
    index = PathIndex(radius, (height, width))
    rf = radius - 1
    sources = [(y, x) for y in range(height - rf)
               for x in range(rf, width - rf)]
    sums = dict(bg=0.0, fg=0.0, neg=0.0, dfg=0.0, dbg=0.0)
    aff = np.zeros(bg_pos.shape)
    for b in range(batch):
        for d, (dy, dx) in enumerate(index.search_dst.tolist()):
            path = direction_path(dy, dx)
            for s, (y, x) in enumerate(sources):
                a = 1 - max(edge[b, y + py, x + px] for py, px in path)
                aff[b, d, s] = a
                pd = dp[b, :, y, x] - dp[b, :, y + dy, x + dx]
                sums['bg'] += bg_pos[b, d, s] * -np.log(a + EPS)
                sums['fg'] += fg_pos[b, d, s] * -np.log(a + EPS)
                sums['neg'] += neg[b, d, s] * -np.log(1 + EPS - a)
                sums['dfg'] += fg_pos[b, d, s] * (
                    abs(pd[0] - dy) + abs(pd[1] - dx))
                sums['dbg'] += bg_pos[b, d, s] * (abs(pd[0]) + abs(pd[1]))
    n_bg, n_fg, n_neg = bg_pos.sum(), fg_pos.sum(), neg.sum()
    terms = dict(
        aff_bg_pos=sums['bg'] / (n_bg + EPS),
        aff_fg_pos=sums['fg'] / (n_fg + EPS),
        aff_neg=sums['neg'] / (n_neg + EPS),
        dp_fg=sums['dfg'] / (2 * n_fg + EPS),
        dp_bg=sums['dbg'] / (2 * n_bg + EPS))
    terms['aff_pos'] = terms['aff_bg_pos'] / 2 + terms['aff_fg_pos'] / 2
    terms['loss'] = (terms['aff_pos'] + terms['aff_neg']) / 2 + (
        terms['dp_fg'] + terms['dp_bg']) / 2
    return terms, aff


def toy_batch(seed, batch=2, grid=(5, 7), radius=3, num_classes=4):
    rng = np.random.default_rng(seed)
    edge = torch.from_numpy(rng.normal(0, 2, (batch, 1, *grid)))
    disp = torch.from_numpy(rng.normal(0, 2, (batch, 2, *grid)))
    index = PathIndex(radius, grid)
    labels = rng.integers(0, num_classes, (batch, *grid))
    labels[labels == num_classes - 1] = 255  # some ignored cells
    pairs = [path_pair_labels(lab, index, num_classes) for lab in labels]
    bg_pos, fg_pos, neg = (torch.from_numpy(np.stack(p))
                           for p in zip(*pairs))
    return edge, disp, bg_pos, fg_pos, neg, index


def test_terms_match_the_loop():
    edge, disp, bg_pos, fg_pos, neg, index = toy_batch(0)
    out = affinity_displacement_terms(edge, disp, bg_pos, fg_pos, neg, index)
    expected, aff = loop_reference(edge, disp, bg_pos.numpy(),
                                   fg_pos.numpy(), neg.numpy(), 3)
    assert min(bg_pos.sum(), fg_pos.sum(), neg.sum()) > 0
    np.testing.assert_allclose(out['affinity'].numpy(), aff, rtol=1e-12)
    for key, value in expected.items():
        assert out[key].dtype == torch.float64
        assert float(out[key]) == pytest.approx(float(value), rel=1e-10), key
    assert float(out['count_neg']) == float(neg.sum())
    # pair displacements and targets
    assert out['pair_disp'].shape == (2, 2, index.num_dirs, index.num_sources)
    dy, dx = index.search_dst[5]
    y, x = divmod(int(index.src_indices[4]), 7)
    torch.testing.assert_close(out['pair_disp'][1, :, 5, 4],
                               disp[1, :, y, x] - disp[1, :, y + dy, x + dx])
    assert out['target'][0, :, 5, 0].tolist() == [dy, dx]


def test_module_returns_only_the_total_as_loss():
    edge, disp, bg_pos, fg_pos, neg, index = toy_batch(1)
    loss = MODELS.build(dict(type='AffinityDisplacementLoss', radius=3,
                             crop_size=None))
    out = loss(edge, disp, bg_pos.float(), fg_pos.float(), neg.float())
    assert [k for k in out if 'loss' in k] == ['loss']
    assert set(out) >= {'aff_bg_pos', 'aff_fg_pos', 'aff_pos', 'aff_neg',
                        'dp_fg', 'dp_bg', 'count_bg_pos'}
    expected, _ = loop_reference(edge, disp, bg_pos.numpy(), fg_pos.numpy(),
                                 neg.numpy(), 3)
    assert float(out['loss']) == pytest.approx(expected['loss'], rel=1e-10)
    # the PathIndex of each grid is built once
    assert loss.path_index((5, 7)) is loss.path_index((5, 7))
    default = AffinityDisplacementLoss()
    assert default.path_index((128, 128)).num_dirs == 152


def test_gradients_against_finite_differences():
    edge, disp, bg_pos, fg_pos, neg, index = toy_batch(2, batch=1,
                                                       grid=(4, 5),
                                                       radius=2)
    edge.requires_grad_(True)
    disp.requires_grad_(True)

    def total(e, d):
        out = affinity_displacement_terms(e, d, bg_pos, fg_pos, neg, index)
        return (out['loss'], out['aff_neg'], out['dp_fg'])

    assert torch.autograd.gradcheck(total, (edge, disp))


def test_empty_sets_give_zero_terms():
    edge, disp, bg_pos, fg_pos, neg, index = toy_batch(3)
    zeros = torch.zeros_like(bg_pos)
    out = affinity_displacement_terms(edge, disp, zeros, fg_pos, neg, index)
    assert float(out['aff_bg_pos']) == 0 and float(out['dp_bg']) == 0
    assert float(out['aff_fg_pos']) > 0
    out = affinity_displacement_terms(edge, disp, zeros, zeros, zeros, index)
    assert float(out['loss']) == 0


def test_pair_displacement_of_a_linear_field_is_the_target():
    # dp(y, x) = -(y, x): dp_i - dp_j = (dy, dx) exactly
    index = PathIndex(3, (6, 8))
    yy, xx = np.mgrid[:6, :8]
    field = -torch.from_numpy(np.stack([yy, xx]))[None].double()
    pd = pair_displacement(field, index)
    expected = torch.from_numpy(index.search_dst.T)[None, :, :, None]
    torch.testing.assert_close(pd, expected.double().expand_as(pd))


def test_shape_mismatches_are_errors():
    edge, disp, bg_pos, fg_pos, neg, index = toy_batch(4)
    loss = AffinityDisplacementLoss(radius=4, crop_size=(5, 7))
    with pytest.raises(ValueError, match='same radius'):
        loss(edge, disp, bg_pos, fg_pos, neg)
    with pytest.raises(ValueError, match='displacement'):
        affinity_displacement_terms(edge, disp[..., :6], bg_pos, fg_pos, neg,
                                    index)
    with pytest.raises(ValueError, match='at least'):
        AffinityDisplacementLoss(radius=10, crop_size=(5, 7))
