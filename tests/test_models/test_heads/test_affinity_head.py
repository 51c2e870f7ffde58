"""AffinityHead: phi, pair affinities against direct loops, the dense
matrix, the radius rules and the official initialisation."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmwsss.ops import search_directions
from mmwsss.ops.pair_sets import full_pair_indices, resolve_radius
from mmwsss.registry import MODELS


def small_head(**kwargs):
    cfg = dict(type='AffinityHead', in_channels=(5, 6, 7),
               channels=(2, 3, 4))
    cfg.update(kwargs)
    head = MODELS.build(cfg).double()
    head.init_weights()
    return head


def feats(batch=2, h=6, w=10, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, c, h, w, generator=gen, dtype=torch.float64)
            for c in (5, 6, 7)]


def loop_affinities(phi, radius, full=False):
    """a[b, d, s] by a loop over sources and directions."""
    batch, chans, h, w = phi.shape
    if full:
        sources = [(y, x) for y in range(h) for x in range(w)]
    else:
        sources = [(y, x) for y in range(h - radius + 1)
                   for x in range(radius - 1, w - radius + 1)]
    dirs = search_directions(radius)
    out = torch.zeros(batch, len(dirs), len(sources), dtype=phi.dtype)
    for d, (dy, dx) in enumerate(dirs):
        for s, (y, x) in enumerate(sources):
            ty, tx = y + dy, x + dx
            if not (0 <= ty < h and 0 <= tx < w):
                continue  # only in the full set: no such pair
            diff = (phi[:, :, y, x] - phi[:, :, ty, tx]).abs()
            out[:, d, s] = torch.exp(-diff.sum(1) / chans)
    return out


def test_phi_matches_the_formula():
    head = small_head()
    x3, x4, x5 = feats()
    phi = head([x3, x4, x5])
    assert phi.shape == (2, 9, 6, 10) and head.out_channels == 9
    cat = torch.cat([
        F.elu(F.conv2d(x3, head.f8_3.weight)),
        F.elu(F.conv2d(x4, head.f8_4.weight)),
        F.elu(F.conv2d(x5, head.f8_5.weight))
    ], 1)
    assert torch.allclose(phi, F.elu(F.conv2d(cat, head.f9.weight)))
    assert all(conv.bias is None
               for conv in (head.f8_3, head.f8_4, head.f8_5, head.f9))
    assert small_head(out_channels=5)(feats()).shape == (2, 5, 6, 10)
    with pytest.raises(ValueError, match='3 feature maps'):
        head(feats()[:2])
    with pytest.raises(ValueError, match='3 entries'):
        MODELS.build(dict(type='AffinityHead', in_channels=(4, 5)))


@pytest.mark.parametrize('radius,grid', [(5, (6, 10)), (3, (5, 7)),
                                         (2, (3, 4)), (5, (5, 9))])
def test_psa_pair_affinities_match_a_loop(radius, grid):
    head = small_head()
    phi = head(feats(h=grid[0], w=grid[1], seed=radius))
    aff = head.pair_affinities(phi, radius)
    n_src = (grid[0] - radius + 1) * (grid[1] - 2 * radius + 2)
    assert aff.shape == (2, len(search_directions(radius)), n_src)
    assert torch.allclose(aff, loop_affinities(phi, radius), atol=1e-12)
    assert (aff > 0).all() and (aff <= 1).all()


def test_full_pair_set_matches_a_loop_on_any_grid():
    head = small_head()
    for grid, radius in (((6, 10), 5), ((3, 3), 5), ((1, 4), 2)):
        phi = head(feats(batch=1, h=grid[0], w=grid[1]))
        aff = head.pair_affinities(phi, radius, pair_set='full')
        assert aff.shape == (1, len(search_directions(radius)),
                             grid[0] * grid[1])
        assert torch.allclose(aff, loop_affinities(phi, radius, True),
                              atol=1e-12)
    # each in-grid pair within the radius exactly once
    _, ind_to, valid = full_pair_indices(5, (6, 10))
    pairs = {(min(i, j), max(i, j))
             for i, j in zip(np.tile(np.arange(60), 34)[valid],
                             ind_to[valid])}
    expected = {(i, j) for i in range(60) for j in range(i + 1, 60)
                if (i // 10 - j // 10)**2 + (i % 10 - j % 10)**2 < 25}
    assert pairs == expected and valid.sum() == len(expected)


@pytest.mark.parametrize('pair_set', ['psa', 'full'])
def test_dense_affinity(pair_set):
    head = small_head()
    h, w, radius = 6, 10, 5
    phi = head(feats(batch=1, h=h, w=w))
    dense = head.dense_affinity(phi, radius, pair_set)
    assert dense.shape == (60, 60)
    assert torch.equal(dense, dense.T)
    assert torch.equal(dense.diagonal(), torch.ones(60, dtype=dense.dtype))
    ref = torch.eye(60, dtype=torch.float64)
    for i in range(60):
        for j in range(60):
            dy, dx = j // w - i // w, j % w - i % w
            if i == j or (dy, dx) not in search_directions(radius):
                continue
            sy, sx = i // w, i % w
            exists = pair_set == 'full' or (sy <= h - radius and
                                            radius - 1 <= sx <= w - radius)
            if exists:
                a = torch.exp(-(phi[0, :, sy, sx] -
                                phi[0, :, j // w, j % w]).abs().mean())
                ref[i, j] = ref[j, i] = a
    assert torch.allclose(dense, ref, atol=1e-12)
    isolated = (dense.sum(0) == 1).nonzero().flatten().tolist()
    if pair_set == 'psa':  # psa's 10 cells that no pair reaches
        cells = [(0, 0), (0, 1), (0, 2), (0, 3), (h - 2, 0), (h - 2, w - 1),
                 (h - 1, 0), (h - 1, 1), (h - 1, w - 2), (h - 1, w - 1)]
        assert isolated == sorted(y * w + x for y, x in cells)
    else:
        assert isolated == []
    with pytest.raises(ValueError, match='batch of one'):
        head.dense_affinity(head(feats(batch=2)), radius)


def test_radius_rules():
    # psa: fixed; a clear error on narrow grids naming the switches
    assert resolve_radius((56, 56)) == 5 and resolve_radius((5, 9)) == 5
    for grid in ((4, 20), (20, 8)):
        with pytest.raises(ValueError, match="radius_rule='aeft'"):
            resolve_radius(grid, 5, 'psa')
    # AEFT / hfpl: (m - 1) // 2 below 11 cells, else 5; error at m <= 4
    got = {m: resolve_radius((m, 40), 5, 'aeft') for m in range(5, 13)}
    assert got == {5: 2, 6: 2, 7: 3, 8: 3, 9: 4, 10: 4, 11: 5, 12: 5}
    assert resolve_radius((40, 9), 5, 'aeft') == 4
    with pytest.raises(ValueError, match='too small'):
        resolve_radius((4, 40), 5, 'aeft')
    # fixed + full: any grid
    assert resolve_radius((3, 3), 5, 'fixed', 'full') == 5
    with pytest.raises(ValueError, match="pair_set='full'"):
        resolve_radius((3, 3), 5, 'fixed', 'psa')
    with pytest.raises(ValueError, match='radius_rule must be'):
        resolve_radius((9, 9), 5, 'psa2')
    with pytest.raises(ValueError, match='pair_set must be'):
        resolve_radius((9, 9), 5, 'psa', 'all')
    # the head on a narrow grid under both rules
    head = small_head()
    phi = head(feats(batch=1, h=7, w=8))
    radius = resolve_radius((7, 8), 5, 'aeft')
    assert radius == 3
    assert torch.allclose(
        head.pair_affinities(phi, radius), loop_affinities(phi, 3))
    with pytest.raises(ValueError, match='needs a grid'):
        head.pair_affinities(phi, 5)


def test_official_initialisation():
    torch.manual_seed(0)
    head = MODELS.build(dict(type='AffinityHead'))
    head.init_weights()
    for conv, fan_in in ((head.f8_3, 512), (head.f8_4, 1024),
                         (head.f8_5, 4096)):
        std = conv.weight.std().item()
        assert std == pytest.approx(math.sqrt(2 / fan_in), rel=0.03)
        assert conv.weight.mean().abs().item() < 0.1 * std
    bound = 4 * math.sqrt(6 / (448 + 448))
    weight = head.f9.weight
    assert weight.shape == (448, 448, 1, 1)
    assert weight.abs().max().item() <= bound
    assert weight.abs().max().item() > 0.99 * bound
    assert weight.std().item() == pytest.approx(bound / math.sqrt(3),
                                                rel=0.02)
    # an init_cfg replaces the official initialisation
    head = MODELS.build(
        dict(type='AffinityHead', in_channels=(5, 6, 7), channels=(2, 3, 4),
             init_cfg=dict(type='Constant', val=0.5, layer='Conv2d')))
    head.init_weights()
    assert (head.f9.weight == 0.5).all() and (head.f8_3.weight == 0.5).all()


def test_gradients_of_pair_affinities():
    head = small_head()
    phi = torch.randn(1, 3, 5, 9, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda p: head.pair_affinities(p, 3), (phi, ))
    assert torch.autograd.gradcheck(
        lambda p: head.pair_affinities(p, 2, 'full'), (phi, ))
