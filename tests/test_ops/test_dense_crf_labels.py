"""The label-unary dense CRF (IRN's ``crf_inference_label``)."""
import numpy as np
import pytest

from mmwsss.ops import dense_crf_labels

pytest.importorskip('pydensecrf.densecrf')


def two_regions(height=24, width=32):
    image = np.zeros((height, width, 3), np.uint8)
    image[:, :width // 2] = (200, 40, 40)
    image[:, width // 2:] = (40, 40, 200)
    labels = np.zeros((height, width), np.int64)
    labels[:, width // 2:] = 2
    return image, labels


def test_zero_iterations_is_the_label_unary():
    image, labels = two_regions()
    q = dense_crf_labels(image, labels, 3, n_iter=0)
    assert q.shape == (3, 24, 32) and q.dtype == np.float32
    # softmax(-U): gt_prob on the given label, (1 - gt_prob)/(L - 1) else
    expected = np.full(q.shape, 0.15, np.float32)
    expected[0, labels == 0] = 0.7
    expected[2, labels == 2] = 0.7
    np.testing.assert_allclose(q, expected, rtol=1e-6)
    q = dense_crf_labels(image, labels, 4, gt_prob=0.4, n_iter=0)
    np.testing.assert_allclose(q[0, labels == 0], 0.4, rtol=1e-6)
    np.testing.assert_allclose(q[1, labels == 0], 0.2, rtol=1e-6)


def test_confident_labels_stay_and_posteriors_sum_to_one():
    image, labels = two_regions()
    q = dense_crf_labels(image, labels, 3)
    np.testing.assert_allclose(q.sum(0), 1, rtol=1e-5)
    np.testing.assert_array_equal(q.argmax(0), labels)
    assert (q.max(0) > 0.7).all()  # agreement of neighbours adds confidence


def test_isolated_wrong_label_is_smoothed_away():
    image, labels = two_regions()
    noisy = labels.copy()
    noisy[5:7, 3:5] = 2  # a 2 x 2 wrong patch inside the flat red region
    q = dense_crf_labels(image, noisy, 3)
    np.testing.assert_array_equal(q.argmax(0), labels)


def test_single_label_and_bad_inputs():
    image, labels = two_regions()
    q = dense_crf_labels(image, np.zeros_like(labels), 1)
    assert q.shape == (1, 24, 32) and (q == 1).all()
    with pytest.raises(ValueError, match='num_labels'):
        dense_crf_labels(image, labels, 2)
    with pytest.raises(ValueError, match='does not match'):
        dense_crf_labels(image[:, :5], labels, 3)
    with pytest.raises(ValueError, match='gt_prob'):
        dense_crf_labels(image, labels, 3, gt_prob=1.0)
