"""Pair geometry and the sparse random walk against the official dense
matrix-squaring walk."""
import numpy as np
import pytest
import torch

from mmwsss.ops.pair_geometry import (
    aeft_radius,
    pair_endpoints,
    psa_pair_indices,
    search_directions,
)
from mmwsss.ops.random_walk import propagate, random_walk, transition_matrix
from tests.references.dense_random_walk import dense_random_walk


def test_directions_counts_and_order():
    assert [len(search_directions(r)) for r in (2, 4, 5, 10)] == [
        4, 22, 34, 152]
    d5 = search_directions(5)
    assert d5[:5] == [(0, 1), (0, 2), (0, 3), (0, 4), (1, -4)]
    assert all(dy >= 0 for dy, _ in d5)
    assert all(dy * dy + dx * dx < 25 for dy, dx in d5)


def test_psa_pairs_on_the_walk_grid():
    # a 500x375 landscape image at stride 8: 47 x 63 cells
    ind_from, ind_to = psa_pair_indices(5, (47, 63))
    assert len(ind_from) == (47 - 5 + 1) * (63 - 10 + 2) == 2365
    assert len(ind_to) == 34 * 2365 == 80410
    i, j = pair_endpoints(ind_from, ind_to)
    # direction-major: block d holds source s moved by D[d]
    dy, dx = search_directions(5)[7]
    s = 11
    assert j[7 * 2365 + s] == ind_from[s] + dy * 63 + dx
    assert len({(min(a, b), max(a, b)) for a, b in zip(i, j)}) == 80410
    # the 10 cells no pair touches
    touched = set(i.tolist()) | set(j.tolist())
    h, w = 47, 63
    isolated = {n for n in range(h * w) if n not in touched}
    expected = {0, 1, 2, 3, (h - 2) * w, (h - 2) * w + w - 1, (h - 1) * w,
                (h - 1) * w + 1, (h - 1) * w + w - 2, (h - 1) * w + w - 1}
    assert isolated == expected


def test_aeft_radius_rule():
    assert [aeft_radius((m, 40)) for m in (5, 6, 7, 8, 9, 10, 11, 56)] == [
        2, 2, 3, 3, 4, 4, 5, 5]
    with pytest.raises(ValueError, match='too small'):
        aeft_radius((4, 40))
    with pytest.raises(ValueError, match='needs a grid'):
        psa_pair_indices(5, (4, 40))


def random_case(h, w, radius, channels, seed=0):
    rng = np.random.default_rng(seed)
    ind_from, ind_to = psa_pair_indices(radius, (h, w))
    i, j = pair_endpoints(ind_from, ind_to)
    aff = rng.random(len(i)).astype(np.float32)
    scores = rng.random((channels, h * w))
    scores[1] = 0  # an absent class
    return scores, i, j, aff


@pytest.mark.parametrize('h,w,radius,beta,logt', [
    (12, 15, 5, 8, 6),   # AEFT / hfpl: 64 steps
    (10, 13, 4, 8, 8),   # psa's 256 steps, AEFT's radius for m = 10
    (9, 20, 3, 10, 8),   # IRN-like beta
])
def test_sparse_walk_equals_dense_squaring(h, w, radius, beta, logt):
    scores, i, j, aff = random_case(h, w, radius, 4)
    sparse = random_walk(scores, i, j, aff, beta, logt)
    dense = dense_random_walk(scores, i, j, aff, beta, logt)
    assert sparse.dtype == torch.float64
    assert torch.allclose(sparse, dense, rtol=0, atol=1e-12)
    # labels equal
    assert torch.equal(sparse.argmax(0), dense.argmax(0))


def test_walk_properties():
    scores, i, j, aff = random_case(12, 15, 5, 3)
    walked = random_walk(scores, i, j, aff, 8, 6)
    assert (walked[1] == 0).all()  # absent channel stays zero
    lo, hi = scores.min(1), scores.max(1)
    assert (walked.min(1).values >= torch.from_numpy(lo) - 1e-12).all()
    assert (walked.max(1).values <= torch.from_numpy(hi) + 1e-12).all()
    # an isolated cell (cell 0 of every psa grid) keeps its score
    assert torch.equal(walked[:, 0], torch.from_numpy(scores[:, 0]))
    # T's columns sum to 1: a constant field stays constant
    const = random_walk(np.ones((1, 180)), i, j, aff, 8, 6)
    assert torch.allclose(const, torch.ones_like(const), atol=1e-12)


def test_transition_is_column_stochastic_and_sparse():
    _, i, j, aff = random_case(12, 15, 5, 2)
    t_t = transition_matrix(180, i, j, aff, 8)
    assert t_t.layout == torch.sparse_csr
    dense = t_t.to_dense()
    assert torch.allclose(dense.sum(1), torch.ones(180, dtype=torch.float64))
    # at most 2|D| + 1 = 69 non-zeros per row
    assert (t_t.crow_indices().diff() <= 69).all()
    with pytest.raises(ValueError, match='cells'):
        propagate(np.zeros((2, 7)), t_t, 1)
