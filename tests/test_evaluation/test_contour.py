import numpy as np
import pytest
from scipy import ndimage

from mmwsss.evaluation.functional import (
    boundary_counts,
    boundary_f_from_counts,
    boundary_f_score,
    boundary_tolerance,
    matched_pixels,
    seg_boundary,
)


def square(shape, top, left, size, value=1):
    out = np.zeros(shape, np.uint8)
    out[top:top + size, left:left + size] = value
    return out


def test_seg_boundary_hand_made():
    mask = np.zeros((4, 4), bool)
    mask[1:3, 1:3] = True
    expected = np.array(
        [[1, 1, 1, 0], [1, 0, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]], bool)
    np.testing.assert_array_equal(seg_boundary(mask), expected)
    # last row compares east only, last column south only, corner never
    edge = np.zeros((3, 3), bool)
    edge[2, 2] = True
    np.testing.assert_array_equal(
        seg_boundary(edge), [[0, 0, 0], [0, 1, 1], [0, 1, 0]])


def test_tolerance():
    assert boundary_tolerance((375, 500)) == 5
    assert boundary_tolerance((38, 50)) == 1
    assert boundary_tolerance((38, 50), bound_th=3) == 3


def test_matched_pixels_equals_disk_dilation():
    rng = np.random.default_rng(0)
    sources = rng.random((40, 50)) < 0.01
    targets = rng.random((40, 50)) < 0.05
    r = 4
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    dilated = ndimage.binary_dilation(
        sources, structure=xx**2 + yy**2 <= r * r)
    assert matched_pixels(targets, sources, r) == (targets & dilated).sum()
    assert matched_pixels(targets, np.zeros_like(sources), r) == 0


def test_identical_masks_give_one_and_shift_lowers_f():
    gt = square((100, 100), 20, 20, 40)
    assert boundary_f_score([gt], [gt], 2)['F'] == 1.0
    # tolerance ceil(0.008 * 141.4) = 2 px: a 2 px shift still matches
    near = square((100, 100), 22, 20, 40)
    assert boundary_f_score([near], [gt], 2)['F'] == 1.0
    far = square((100, 100), 30, 20, 40)
    res = boundary_f_score([far], [gt], 2)
    assert 0 < res['F'] < 0.7


def test_void_is_background():
    gt = square((50, 50), 10, 10, 20)
    void_gt = gt.copy()
    void_gt[5:35, 5:8] = 255  # void band left of the object
    pred = gt.copy()
    assert boundary_f_score([pred], [void_gt], 2)['F'] == 1.0
    # predicting the class on the void region is a boundary error
    spill = pred.copy()
    spill[5:35, 5:10] = 1
    assert boundary_f_score([spill], [void_gt], 2)['F'] < 1.0


def test_edge_cases_and_dataset_level_accumulation():
    gt = square((50, 50), 10, 10, 20, value=1)
    empty = np.zeros_like(gt)
    counts = boundary_counts(empty, gt, 3)
    assert counts[0].sum() == 0 and counts[2].sum() == 0
    p, r, f = boundary_f_from_counts(counts)
    assert (p[1], r[1], f[1]) == (1.0, 0.0, 0.0)  # missed class
    p, r, f = boundary_f_from_counts(boundary_counts(gt, empty, 3))
    assert (p[1], r[1], f[1]) == (0.0, 1.0, 0.0)  # spurious class
    assert (p[2], r[2], f[2]) == (1.0, 1.0, 1.0)  # neither
    # sums over images, not a mean of per-image F
    res = boundary_f_score([gt, empty], [gt, gt], 2)
    assert res['recall'] == pytest.approx(0.5)
    assert res['precision'] == 1.0
    stacked = boundary_counts(np.stack([gt, empty]), gt, 2)
    np.testing.assert_array_equal(stacked[0], boundary_counts(gt, gt, 2))
    np.testing.assert_array_equal(stacked[1], counts[:2])
