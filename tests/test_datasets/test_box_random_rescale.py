"""BoxRandomRescale (BANA's random rescale)."""
import numpy as np
import pytest

from mmwsss.datasets.transforms import boxes_to_bg_mask
from mmwsss.registry import TRANSFORMS


def sample():
    boxes = np.array([[2., 3., 9., 7.], [0., 0., 4., 2.]], np.float32)
    return dict(
        img=np.random.RandomState(0).randint(0, 255, (10, 12, 3), np.uint8),
        gt_bboxes=boxes,
        bg_mask=boxes_to_bg_mask(boxes, (10, 12)))


def test_rescale_by_two_keeps_boxes_and_mask_consistent():
    out = TRANSFORMS.build(
        dict(type='BoxRandomRescale', ratio_range=(2.0, 2.0)))(sample())
    assert out['img'].shape == (20, 24, 3)
    assert out['img_shape'] == (20, 24)
    assert out['gt_bboxes'].tolist() == [[4, 6, 18, 14], [0, 0, 8, 4]]
    # nearest duplication of every pixel = the mask of the doubled boxes
    np.testing.assert_array_equal(out['bg_mask'],
                                  boxes_to_bg_mask(out['gt_bboxes'],
                                                   (20, 24)))


def test_random_ratio_in_range():
    transform = TRANSFORMS.build(
        dict(type='BoxRandomRescale', ratio_range=(0.5, 1.5)))
    np.random.seed(0)
    for _ in range(5):
        out = transform(sample())
        ratio = out['gt_bboxes'][0, 2] / 9.0
        assert 0.5 <= ratio <= 1.5
        assert out['img'].shape[:2] == (int(10 * ratio + 0.5),
                                        int(12 * ratio + 0.5))
        assert out['bg_mask'].shape == out['img'].shape[:2]
        assert out['bg_mask'].dtype == np.uint8
        assert set(np.unique(out['bg_mask'])) <= {0, 1}
        # mask of the scaled boxes and resized mask agree up to the
        # rounding of the box edges: disagreements lie next to an edge
        diff = out['bg_mask'] != boxes_to_bg_mask(out['gt_bboxes'],
                                                  out['bg_mask'].shape)
        edges = out['gt_bboxes']
        for row, col in zip(*np.nonzero(diff)):
            dist = np.minimum(
                np.abs(col - edges[:, [0, 2]]).min(1),
                np.abs(row - edges[:, [1, 3]]).min(1))
            assert dist.min() <= 1.5


def test_bad_range():
    with pytest.raises(ValueError):
        TRANSFORMS.build(dict(type='BoxRandomRescale', ratio_range=(0, 1)))
