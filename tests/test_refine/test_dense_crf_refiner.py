import numpy as np
import pytest
from scipy import ndimage

import mmwsss.refine  # noqa: F401
from mmwsss.ops import dense_crf
from mmwsss.registry import TASK_UTILS

pytest.importorskip('pydensecrf.densecrf')


def scene():
    """A red square on a noisy grey background and a CAM of the same size,
    blurred and shifted by (4, 5) px (spilling onto the background)."""
    rng = np.random.default_rng(0)
    image = np.full((64, 64, 3), 110.0) + rng.normal(0, 4, (64, 64, 3))
    truth = np.zeros((64, 64), bool)
    truth[16:44, 20:48] = True
    image[truth] = (200, 40, 40)
    cam = ndimage.gaussian_filter(
        np.roll(truth, (4, 5), axis=(0, 1)).astype(np.float64), 3)
    return (np.clip(image, 0, 255).astype(np.uint8), truth,
            (cam / cam.max())[None].astype(np.float32))


def iou(label, truth):
    fg = label == 3
    return (fg & truth).sum() / (fg | truth).sum()


def test_crf_moves_the_label_onto_the_square():
    image, truth, cams = scene()
    keys = np.array([2])
    crf = TASK_UTILS.build(dict(type='DenseCRFRefiner'))
    threshold = TASK_UTILS.build(
        dict(type='ThresholdRefiner', bg_threshold=0.5))
    refined = crf(image, cams, keys)
    assert refined.dtype == np.uint8 and set(np.unique(refined)) <= {0, 3}
    assert iou(refined, truth) > iou(threshold(image, cams, keys), truth) + 0.1
    assert iou(refined, truth) > 0.8


def test_non_contiguous_inputs_and_options():
    image, truth, cams = scene()
    keys = np.array([2])
    crf = TASK_UTILS.build(dict(type='DenseCRFRefiner', n_iter=3))
    expected = crf(image, cams, keys)
    flipped = crf(image[:, ::-1], cams[:, :, ::-1], keys)  # negative strides
    np.testing.assert_array_equal(flipped[:, ::-1], expected)
    fortran = crf(np.asfortranarray(image), np.asfortranarray(cams), keys)
    np.testing.assert_array_equal(fortran, expected)
    # constant background score, normalisation, confidence -> 255
    for cfg in (dict(bg_mode='threshold', bg_threshold=0.5),
                dict(normalize=True), dict(bg_power=3.0)):
        out = TASK_UTILS.build(dict(type='DenseCRFRefiner', n_iter=3,
                                    **cfg))(image, cams, keys)
        assert out.shape == (64, 64) and set(np.unique(out)) <= {0, 3}
    unsure = TASK_UTILS.build(
        dict(type='DenseCRFRefiner', n_iter=3, min_confidence=0.999))
    assert (unsure(image, cams, keys) == 255).any()
    empty = crf(image, np.zeros((0, 64, 64)), np.zeros(0))
    assert not empty.any()


def test_dense_crf_posterior_and_bad_args():
    image, _, cams = scene()
    probs = np.concatenate([1 - cams, cams])
    q = dense_crf(image, probs, n_iter=2)
    assert q.shape == probs.shape and q.dtype == np.float32
    np.testing.assert_allclose(q.sum(0), 1, atol=1e-4)
    with pytest.raises(ValueError, match='image'):
        dense_crf(image[:10], probs)
    with pytest.raises(ValueError, match='bg_mode'):
        TASK_UTILS.build(dict(type='DenseCRFRefiner', bg_mode='sum'))
