"""BoxRandomFlip (BANA's random flip)."""
import numpy as np
import pytest

from mmwsss.datasets.transforms import boxes_to_bg_mask
from mmwsss.registry import TRANSFORMS


def test_flip_moves_boxes_and_mask_together():
    boxes = np.array([[1., 2., 4., 5.], [6., 0., 10., 3.]], np.float32)
    img = np.random.RandomState(0).randint(0, 255, (6, 10, 3), np.uint8)
    results = dict(
        img=img, gt_bboxes=boxes, bg_mask=boxes_to_bg_mask(boxes, (6, 10)))
    out = TRANSFORMS.build(dict(type='BoxRandomFlip', prob=1.0))(results)
    assert out['flip'] and out['flip_direction'] == 'horizontal'
    # [x0, x1] -> [W - x1, W - x0]
    assert out['gt_bboxes'].tolist() == [[6, 2, 9, 5], [0, 0, 4, 3]]
    np.testing.assert_array_equal(out['img'], img[:, ::-1])
    np.testing.assert_array_equal(out['bg_mask'],
                                  boxes_to_bg_mask(out['gt_bboxes'], (6, 10)))
    out = TRANSFORMS.build(dict(type='BoxRandomFlip', prob=0.0))(
        dict(img=img, gt_bboxes=boxes))
    assert not out['flip']
    np.testing.assert_array_equal(out['gt_bboxes'], boxes)


def test_official_clip_flips_to_minus_one():
    out = TRANSFORMS.build(dict(type='BoxRandomFlip', prob=1.0))(
        dict(img=np.zeros((4, 5, 3), np.uint8),
             gt_bboxes=np.array([[2., 0., 6., 4.]], np.float32)))
    assert out['gt_bboxes'].tolist() == [[-1, 0, 3, 4]]


def test_bad_prob():
    with pytest.raises(ValueError):
        TRANSFORMS.build(dict(type='BoxRandomFlip', prob=2))
