"""BoxPadRandomCrop (BANA's pad and crop)."""
import numpy as np
import pytest

from mmwsss.datasets.transforms import boxes_to_bg_mask
from mmwsss.registry import TRANSFORMS


def build(**kwargs):
    cfg = dict(type='BoxPadRandomCrop', crop_size=8, img_pad_val=(1, 2, 3))
    cfg.update(kwargs)
    return TRANSFORMS.build(cfg)


def test_padding_rule_centred_with_odd_extra():
    # 5 x 4 image, crop 8: height diff 3 -> 2 rows on top and 2 at the
    # bottom (padded 9, offset floor(u * 1) = 0); width diff 4 -> 2 + 2
    img = np.full((5, 4, 3), 200, np.uint8)
    boxes = np.array([[1., 1., 3., 4.]], np.float32)
    mask = boxes_to_bg_mask(boxes, (5, 4))
    out = build()(dict(img=img, gt_bboxes=boxes, bg_mask=mask,
                       gt_bboxes_labels=np.array([2])))
    assert out['img'].shape == (8, 8, 3) and out['img_shape'] == (8, 8)
    assert out['pad_offset'] == (2, 2) and out['crop_offset'] == (0, 0)
    assert (out['img'][2:7, 2:6] == 200).all()
    assert out['img'][:2].tolist() == [[[1, 2, 3]] * 8] * 2
    assert out['img'][7].tolist() == [[1, 2, 3]] * 8
    assert out['img'][:, :2].reshape(-1, 3).tolist() == [[1, 2, 3]] * 16
    # mask padding is 0 (not background)
    assert out['bg_mask'][:2].sum() == 0 and out['bg_mask'][7].sum() == 0
    np.testing.assert_array_equal(out['bg_mask'][2:7, 2:6], mask)
    assert out['gt_bboxes'].tolist() == [[3, 3, 5, 6]]
    assert out['gt_label'] == [2]
    # the box reading agrees with the mask inside the image
    inside = np.zeros((8, 8), bool)
    inside[2:7, 2:6] = True
    ref = boxes_to_bg_mask(out['gt_bboxes'], (8, 8))
    np.testing.assert_array_equal(out['bg_mask'][inside], ref[inside])


@pytest.mark.parametrize('mode,edge', [('official', 9), ('fixed', 8)])
def test_crop_clip_and_drop(mode, edge):
    img = np.arange(20 * 20 * 3, dtype=np.uint8).reshape(20, 20, 3)
    boxes = np.array(
        [
            [4., 4., 10., 10.],  # partly inside: clipped
            [0., 0., 3., 3.],  # outside (x1 = 3 <= offset 3): dropped
            [6., 5., 18., 19.],  # beyond the right/bottom edge
            [3., 3., 11., 11.],  # ends exactly at the edge: kept as is
        ],
        np.float32)
    labels = np.array([0, 1, 2, 3])
    transform = build(clip_mode=mode)
    transform._random_offset = lambda h, w: (3, 3)
    out = transform(
        dict(img=img, gt_bboxes=boxes, gt_bboxes_labels=labels,
             gt_difficult=np.array([0, 1, 0, 0], bool),
             bg_mask=boxes_to_bg_mask(boxes, (20, 20)), gt_label=[0, 1, 2, 3]))
    np.testing.assert_array_equal(out['img'], img[3:11, 3:11])
    assert out['gt_bboxes'].tolist() == [[1, 1, 7, 7], [3, 2, edge, edge],
                                         [0, 0, 8, 8]]
    assert out['gt_bboxes_labels'].tolist() == [0, 2, 3]
    assert out['gt_difficult'].tolist() == [False, False, False]
    assert out['gt_label'] == [0, 2, 3]
    # the cropped mask is the mask of the clipped boxes (dropped boxes are
    # outside the crop)
    np.testing.assert_array_equal(out['bg_mask'],
                                  boxes_to_bg_mask(out['gt_bboxes'], (8, 8)))


def test_random_offset_is_floor_u_times_range():
    transform = build(crop_size=(4, 6))
    np.random.seed(3)
    u = np.random.random(2)
    np.random.seed(3)
    assert transform._random_offset(10, 16) == (int(u[0] * 6),
                                                int(u[1] * 10))


def test_crop_then_flip_keeps_mask_consistent():
    rng = np.random.RandomState(1)
    crop = build(crop_size=(12, 14), clip_mode='fixed')
    flip = TRANSFORMS.build(dict(type='BoxRandomFlip', prob=1.0))
    for _ in range(10):
        x0, y0 = rng.randint(0, 15, 2)
        boxes = np.array([[x0, y0, x0 + rng.randint(1, 10),
                           y0 + rng.randint(1, 10)]], np.float32)
        results = dict(img=np.zeros((20, 18, 3), np.uint8),
                       gt_bboxes=boxes,
                       bg_mask=boxes_to_bg_mask(boxes, (20, 18)))
        out = flip(crop(results))
        np.testing.assert_array_equal(
            out['bg_mask'], boxes_to_bg_mask(out['gt_bboxes'], (12, 14)))


def test_bad_args():
    with pytest.raises(ValueError):
        build(clip_mode='other')
    with pytest.raises(ValueError):
        build(crop_size=0)
