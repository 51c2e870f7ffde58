import numpy as np
import pytest

import mmwsss.refine  # noqa: F401
from mmwsss.registry import TASK_UTILS

IMAGE = np.zeros((2, 3, 3), np.uint8)
CAMS = np.array(
    [[[0.9, 0.4, 0.1], [0.2, 0.05, 0.5]], [[0.3, 0.6, 0.1], [0.25, 0.0, 0.5]]],
    np.float32)
KEYS = np.array([4, 0])


def test_exact_labels():
    refiner = TASK_UTILS.build(dict(type='ThresholdRefiner', bg_threshold=0.3))
    out = refiner(IMAGE, CAMS, KEYS)
    assert out.dtype == np.uint8
    # argmax over [0.3, CAM_4, CAM_0]; ties go to the first (key 4 at 0.5)
    np.testing.assert_array_equal(out, [[5, 1, 0], [0, 0, 5]])


def test_ignore_band():
    refiner = TASK_UTILS.build(
        dict(
            type='ThresholdRefiner', bg_threshold=0.3,
            ignore_band=(0.2, 0.55)))
    np.testing.assert_array_equal(
        refiner(IMAGE, CAMS, KEYS), [[5, 1, 0], [255, 0, 255]])


def test_no_cams_and_bad_input():
    refiner = TASK_UTILS.build(dict(type='ThresholdRefiner'))
    out = refiner(IMAGE, np.zeros((0, 2, 3)), np.zeros(0))
    np.testing.assert_array_equal(out, np.zeros((2, 3)))
    with pytest.raises(ValueError, match='image'):
        refiner(np.zeros((3, 3, 3), np.uint8), CAMS, KEYS)
    with pytest.raises(ValueError, match='keys'):
        refiner(IMAGE, CAMS, KEYS[:1])
    with pytest.raises(ValueError, match='ignore_band'):
        TASK_UTILS.build(dict(type='ThresholdRefiner', ignore_band=(0.5, 0.2)))
