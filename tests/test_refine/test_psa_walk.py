"""The PSA / AEFT walk from CAMs and given affinities: intermediates, the
label map, and agreement with the official dense squaring."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmwsss.ops.pair_geometry import (
    aeft_radius,
    pair_endpoints,
    psa_pair_indices,
    search_directions,
)
from mmwsss.refine.random_walk import psa_walk
from tests.references.dense_random_walk import dense_random_walk


def blob_cams(height, width, centres, sigma=6.0):
    yy, xx = np.mgrid[:height, :width]
    return np.stack([
        np.exp(-((yy - cy)**2 + (xx - cx)**2) / (2 * sigma**2))
        for cy, cx in centres
    ]).astype(np.float32)


def test_walk_intermediates_and_labels_match_the_dense_path():
    height, width = 75, 100  # padded to 80 x 104 -> a 10 x 13 grid
    cams = blob_cams(height, width, [(20, 25), (50, 70)])
    keys = np.array([3, 11])
    grid = (10, 13)
    radius = aeft_radius(grid)
    rng = np.random.default_rng(0)
    n_pairs = len(search_directions(radius)) * len(
        psa_pair_indices(radius, grid)[0])
    # weak affinities (a^8 < 1e-4): the blobs survive 64 steps
    affinity = rng.uniform(0.0, 0.3, n_pairs).astype(np.float32)
    out = psa_walk(cams, keys, affinity, radius, alpha=19, logt=6)
    assert out['scores'].shape == (3, height, width)
    assert out['pooled'].shape == out['walked'].shape == (3, 10, 13)
    assert out['upsampled'].shape == (3, 80, 104)
    # background score = (1 - max CAM)^alpha, the padded cells count as 0
    expected_bg = np.power(1 - cams.max(0), 19)
    np.testing.assert_allclose(out['scores'][0].numpy(), expected_bg,
                               rtol=1e-6)
    assert out['label'].dtype == np.uint8
    assert set(np.unique(out['label'])) <= {0, 4, 12}
    assert out['label'][20, 25] == 4 and out['label'][50, 70] == 12
    # the same with the official dense walk on the same pooled scores
    i, j = pair_endpoints(*psa_pair_indices(radius, grid))
    dense = dense_random_walk(out['pooled'].reshape(3, -1).double(), i, j,
                              affinity, 8, 6).reshape(3, *grid)
    assert torch.allclose(out['walked'], dense, atol=1e-12, rtol=0)
    up = F.interpolate(dense[None], size=(80, 104), mode='bilinear',
                       align_corners=False)[0]
    labels = np.array([0, 4, 12])[up[:, :height, :width].argmax(0).numpy()]
    np.testing.assert_array_equal(out['label'], labels)


def test_image_without_classes_is_background():
    grid = (5, 9)
    n_pairs = 34 * len(psa_pair_indices(5, grid)[0])
    out = psa_walk(np.zeros((0, 40, 72), np.float32), np.zeros(0),
                   np.ones(n_pairs), 5, alpha=16)
    assert (out['label'] == 0).all()


def test_wrong_affinity_count_is_an_error():
    with pytest.raises(ValueError, match='affinities for the'):
        psa_walk(blob_cams(40, 72, [(10, 10)]), np.array([0]), np.ones(7), 5,
                 alpha=16)


def test_full_pair_set_walks_every_in_grid_pair():
    """pair_set='full': every cell is a source (no isolated border cells),
    so a grid too narrow for psa's pairs still walks, and the walk equals
    the dense path over the in-grid pairs."""
    from mmwsss.ops.pair_sets import full_pair_indices
    height, width = 40, 48  # a 5 x 6 grid: psa's radius 5 needs 5 x 9
    cams = blob_cams(height, width, [(10, 10)])
    ind_from, ind_to, valid = full_pair_indices(5, (5, 6))
    rng = np.random.default_rng(2)
    affinity = rng.uniform(0.2, 0.9, ind_to.size).astype(np.float32)
    out = psa_walk(cams, np.array([0]), affinity, 5, alpha=2, logt=3,
                   pair_set='full')
    i, j = pair_endpoints(ind_from, ind_to)
    expected = dense_random_walk(out['pooled'].reshape(2, -1).numpy(),
                                 i[valid], j[valid], affinity[valid], 8, 3)
    np.testing.assert_allclose(
        out['walked'].reshape(2, -1).numpy(), expected, atol=1e-9)
    with pytest.raises(ValueError):
        psa_walk(cams, np.array([0]), affinity, 5, alpha=2, logt=3)
