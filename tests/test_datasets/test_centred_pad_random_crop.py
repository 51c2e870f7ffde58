"""CentredPadRandomCrop: BANA's stage-3 pad (centred, ceil(diff / 2) on
both sides, mean colour / 255) and crop, and the mmseg-style switch."""
import numpy as np
import pytest

from mmwsss.datasets.transforms import CentredPadRandomCrop


def sample(h, w):
    img = np.arange(h * w * 3, dtype=np.uint8).reshape(h, w, 3)
    seg = np.full((h, w), 7, np.uint8)
    ret = np.full((h, w), 9, np.uint8)
    return dict(img=img, gt_seg_map=seg, gt_seg_map_ret=ret,
                seg_fields=['gt_seg_map', 'gt_seg_map_ret'])


def test_small_image_is_padded_centred_with_mean_and_ignore():
    out = CentredPadRandomCrop(crop_size=(10, 9))(sample(5, 9))
    # height 5 -> pad ceil(5 / 2) = 3 on both sides (11 rows), then crop 10
    assert out['img'].shape == (10, 9, 3)
    assert out['pad_offset'] == (3, 0)
    rows = np.where((out['gt_seg_map'] == 7).all(1))[0]
    assert len(rows) == 5 and rows[0] in (2, 3)  # offset 0 or 1 of 11 - 10
    top = rows[0]
    assert (out['gt_seg_map'][:top] == 255).all()
    assert (out['gt_seg_map_ret'][:top] == 255).all()
    np.testing.assert_array_equal(out['img'][0], np.tile([104, 117, 123],
                                                         (9, 1)))
    np.testing.assert_array_equal(out['gt_seg_map'] == 7,
                                  out['gt_seg_map_ret'] == 9)


def test_offset_is_floor_u_times_margin(monkeypatch):
    monkeypatch.setattr(np.random, 'random', lambda: 0.999)
    out = CentredPadRandomCrop(crop_size=4)(sample(10, 6))
    # floor(0.999 * 6) = 5 rows down, floor(0.999 * 2) = 1 column right
    np.testing.assert_array_equal(out['img'], sample(10, 6)['img'][5:9, 1:5])


def test_no_padding_switch_keeps_small_crops_small():
    out = CentredPadRandomCrop(crop_size=(10, 9), pad='none')(sample(5, 12))
    assert out['img'].shape == (5, 9, 3)  # the preprocessor pads later
    assert (out['gt_seg_map'] == 7).all() and out['pad_offset'] == (0, 0)


def test_bad_arguments():
    with pytest.raises(ValueError, match='pad must be'):
        CentredPadRandomCrop(pad='left')
    with pytest.raises(ValueError, match='bad crop_size'):
        CentredPadRandomCrop(crop_size=(0, 3))
