"""IRN's walk: edge map from the two passes, the sparse walk against the
official dense squaring, and the semantic label."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmwsss.ops.pair_geometry import search_directions
from mmwsss.refine.random_walk import (
    edge_from_logits,
    irn_propagate,
    irn_semantic_label,
)
from tests.references.dense_irn_walk import (
    dense_irn_label,
    dense_irn_propagate,
)


def blob_cams(height, width, centres, sigma=2.0):
    yy, xx = np.mgrid[:height, :width]
    return np.stack([
        np.exp(-((yy - cy)**2 + (xx - cx)**2) / (2 * sigma**2))
        for cy, cx in centres
    ])


def edge_with_wall(height, width, column, rng):
    """Low random boundary values and a strong wall at one column."""
    edge = rng.uniform(0.0, 0.3, (height, width))
    edge[:, column] = 0.95
    return edge


def test_edge_from_logits_crops_then_flips():
    logits = torch.arange(2 * 3 * 5, dtype=torch.float64).reshape(2, 1, 3, 5)
    edge = edge_from_logits(logits, (2, 4))
    l0, l1 = logits[0, 0, :2, :4], logits[1, 0, :2, :4]
    expected = torch.sigmoid(l0 / 2 + l1.flip(-1) / 2)
    torch.testing.assert_close(edge, expected, rtol=0, atol=0)
    # flipping before the crop would differ: the mirror pass is misaligned
    other = torch.sigmoid(l0 / 2 + logits[1, 0].flip(-1)[:2, :4] / 2)
    assert not torch.allclose(edge, other)
    torch.testing.assert_close(edge_from_logits(logits[:, 0], (2, 4)), edge)
    torch.testing.assert_close(
        edge_from_logits(logits[:1], (2, 4)), torch.sigmoid(l0))
    with pytest.raises(ValueError, match='smaller'):
        edge_from_logits(logits, (4, 4))
    with pytest.raises(ValueError, match='mirror'):
        edge_from_logits(torch.zeros(3, 4, 4), (2, 2))


@pytest.mark.parametrize('shape,seed', [((12, 15), 0), ((20, 17), 1)])
def test_sparse_walk_matches_the_dense_official_walk(shape, seed):
    height, width = shape
    rng = np.random.default_rng(seed)
    edge = edge_with_wall(height, width, width // 2, rng)
    cams = blob_cams(height, width, [(3, 3), (height - 4, width - 3)])
    out = irn_propagate(cams, edge, beta=10, exp_times=8, radius=5)
    dense, dense_a, _ = dense_irn_propagate(cams, edge, 10, 8, 5)
    # every in-image pair within r = 5, each once
    n_pairs = sum((height - dy) * (width - abs(dx))
                  for dy, dx in search_directions(5))
    assert out['pair_i'].numel() == n_pairs
    assert out['padded_edge'].shape == (height + 5, width + 10)
    sparse_a = torch.eye(height * width, dtype=torch.float64)
    sparse_a[out['pair_i'], out['pair_j']] += out['affinity']
    sparse_a[out['pair_j'], out['pair_i']] += out['affinity']
    torch.testing.assert_close(sparse_a, dense_a, rtol=0, atol=1e-15)
    torch.testing.assert_close(
        out['scores_in'], torch.from_numpy(cams * (1 - edge)))
    torch.testing.assert_close(out['walked'], dense, rtol=0, atol=1e-9)


@pytest.mark.parametrize('shape,seed', [((12, 15), 2), ((20, 17), 3)])
@pytest.mark.parametrize('cam_power', [1.0, 1.3])
def test_semantic_label_matches_the_dense_official_label(shape, seed,
                                                         cam_power):
    h4, w4 = shape
    size = (4 * h4 - 3, 4 * w4 - 1)  # ((H - 1) // 4 + 1, ...) = (h4, w4)
    rng = np.random.default_rng(seed)
    edge = edge_with_wall(h4, w4, w4 // 2, rng)
    cams = blob_cams(h4, w4, [(3, 3), (h4 - 4, w4 - 3)])
    keys = np.array([6, 14])
    out = irn_semantic_label(torch.from_numpy(edge), cams, keys, size,
                             bg_threshold=0.27, cam_power=cam_power)
    label, normalised = dense_irn_label(edge, cams, keys, size, 0.27,
                                        cam_power)
    torch.testing.assert_close(out['normalised'], normalised, rtol=0,
                               atol=1e-9)
    np.testing.assert_array_equal(out['label'], label)
    assert out['label'].dtype == np.uint8 and out['label'].shape == size
    assert out['upsampled'].shape == (2, *size)
    assert out['with_bg'].shape == (3, *size)
    assert (out['with_bg'][0] == 0.27).all()
    assert float(out['normalised'].max()) == pytest.approx(1.0)
    assert set(np.unique(label)) == {0, 7, 15}  # the wall keeps both


def test_per_class_normalisation_lifts_the_weak_class():
    h4, w4 = 10, 12
    edge = np.full((h4, w4), 0.1)
    edge[:, 6] = 0.99
    cams = blob_cams(h4, w4, [(5, 2), (5, 9)])
    cams[1] *= 0.2  # a weak second class
    size = (40, 48)
    glob = irn_semantic_label(edge, cams, [0, 1], size, exp_times=4)
    per = irn_semantic_label(edge, cams, [0, 1], size, exp_times=4,
                             normalize='per_class')
    up = glob['upsampled']
    torch.testing.assert_close(glob['normalised'], up / up.max())
    torch.testing.assert_close(per['normalised'],
                               up / up.flatten(1).amax(1)[:, None, None])
    assert 2 not in glob['label'] and 2 in per['label']
    assert (per['label'] == 2).sum() > 0 and (glob['label'] == 1).sum() > 0
    with pytest.raises(ValueError, match='normalize'):
        irn_semantic_label(edge, cams, [0, 1], size, normalize='max')


def test_empty_and_all_zero_inputs_give_background():
    edge = np.full((5, 9), 0.2)
    out = irn_semantic_label(edge, np.zeros((2, 5, 9)), [3, 4], (20, 36),
                             exp_times=2)
    assert out['label'].shape == (20, 36) and (out['label'] == 0).all()
    assert torch.isfinite(out['normalised']).all()
    out = irn_semantic_label(edge, np.zeros((0, 5, 9)), [], (18, 33),
                             exp_times=2)
    assert (out['label'] == 0).all() and out['with_bg'].shape == (1, 18, 33)
    # an edge map of 1 everywhere zeroes x = CAM (1 - B)
    out = irn_semantic_label(np.ones((5, 9)), np.ones((1, 5, 9)), [3],
                             (20, 36), exp_times=2)
    assert (out['label'] == 0).all()


def test_walk_keeps_scores_within_range_and_zero_channels_zero():
    rng = np.random.default_rng(4)
    edge = rng.uniform(0, 1, (7, 11))
    scores = np.stack([rng.uniform(0, 1, (7, 11)), np.zeros((7, 11))])
    out = irn_propagate(scores, edge, exp_times=5)
    x = out['scores_in']
    assert (out['walked'][0] >= x[0].min() - 1e-12).all()
    assert (out['walked'][0] <= x[0].max() + 1e-12).all()
    assert (out['walked'][1] == 0).all()
    # a strong random boundary map: still the dense official result
    dense, _, _ = dense_irn_propagate(scores, edge, 10, 5, 5)
    torch.testing.assert_close(out['walked'], dense, rtol=0, atol=1e-12)


def test_bad_inputs_are_errors():
    edge = np.zeros((5, 9))
    with pytest.raises(ValueError, match='do not match'):
        irn_semantic_label(edge, np.zeros((1, 5, 8)), [0], (20, 36))
    with pytest.raises(ValueError, match='keys'):
        irn_semantic_label(edge, np.zeros((2, 5, 9)), [0], (20, 36))
    with pytest.raises(ValueError, match='cannot cover'):
        irn_semantic_label(edge, np.zeros((1, 5, 9)), [0], (21, 36))
    with pytest.raises(ValueError, match='cam_power'):
        irn_semantic_label(edge, -np.ones((1, 5, 9)), [0], (20, 36),
                           cam_power=1.3)
    with pytest.raises(ValueError, match='edge'):
        irn_propagate(np.zeros((1, 5, 9)), np.zeros((5, 8)))


def test_upsampling_is_bilinear_x4_cropped():
    edge = np.zeros((4, 6))
    cams = blob_cams(4, 6, [(1, 1)])
    out = irn_semantic_label(edge, cams, [0], (13, 22), exp_times=0)
    expected = F.interpolate(out['walked'][None], size=(16, 24),
                             mode='bilinear', align_corners=False)[0]
    torch.testing.assert_close(out['upsampled'], expected[:, :13, :22])
