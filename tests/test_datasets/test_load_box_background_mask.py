"""LoadBoxBackgroundMask and boxes_to_bg_mask (BANA)."""
import numpy as np
import pytest
from PIL import Image

from mmwsss.datasets.transforms import boxes_to_bg_mask
from mmwsss.registry import TRANSFORMS


def test_boxes_to_bg_mask_rescience_rule():
    # rows int(y0) .. int(y1) - 1 and columns int(x0) .. int(x1) - 1 zeroed
    mask = boxes_to_bg_mask(np.array([[1., 2., 3., 4.]]), (5, 6))
    expected = np.ones((5, 6), np.uint8)
    expected[2:4, 1:3] = 0
    assert mask.dtype == np.uint8
    np.testing.assert_array_equal(mask, expected)
    # VOC's 1-based inclusive reading ("fixed")
    mask = boxes_to_bg_mask(np.array([[1., 2., 3., 4.]]), (5, 6), True)
    expected = np.ones((5, 6), np.uint8)
    expected[1:4, 0:3] = 0
    np.testing.assert_array_equal(mask, expected)
    # union of boxes; a box past the border and a negative start are clipped
    mask = boxes_to_bg_mask(
        np.array([[-1., 0., 2., 2.], [4., 3., 9., 9.]]), (5, 6))
    expected = np.ones((5, 6), np.uint8)
    expected[0:2, 0:2] = 0
    expected[3:, 4:] = 0
    np.testing.assert_array_equal(mask, expected)
    assert boxes_to_bg_mask(np.zeros((0, 4)), (2, 3)).all()


def test_transform_builds_or_reads_the_mask(tmp_path):
    results = dict(
        img=np.zeros((5, 6, 3), np.uint8),
        img_id='a',
        gt_bboxes=np.array([[1., 2., 3., 4.]], np.float32))
    out = TRANSFORMS.build(dict(type='LoadBoxBackgroundMask'))(
        dict(results))
    np.testing.assert_array_equal(out['bg_mask'],
                                  boxes_to_bg_mask(results['gt_bboxes'],
                                                   (5, 6)))
    np.testing.assert_array_equal(out['gt_bboxes'], results['gt_bboxes'])
    fixed = TRANSFORMS.build(
        dict(type='LoadBoxBackgroundMask', one_based=True))(dict(results))
    assert fixed['gt_bboxes'].tolist() == [[0, 1, 3, 4]]
    # boxes and mask now describe the same pixels with the 0-based reading
    np.testing.assert_array_equal(
        fixed['bg_mask'], boxes_to_bg_mask(fixed['gt_bboxes'], (5, 6)))

    png = np.zeros((5, 6), np.uint8)
    png[0] = 1
    Image.fromarray(png).save(tmp_path / 'a.png')
    read = TRANSFORMS.build(
        dict(type='LoadBoxBackgroundMask', mask_dir=str(tmp_path)))(
            dict(results))
    np.testing.assert_array_equal(read['bg_mask'], png)
    Image.fromarray(png[:4]).save(tmp_path / 'a.png')
    with pytest.raises(ValueError):
        TRANSFORMS.build(
            dict(type='LoadBoxBackgroundMask', mask_dir=str(tmp_path)))(
                dict(results))
    with pytest.raises(KeyError):
        TRANSFORMS.build(dict(type='LoadBoxBackgroundMask'))(
            dict(img=results['img']))
