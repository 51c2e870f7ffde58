"""COCO polygons and RLE against pycocotools 2.0.11 references."""
import numpy as np
import pytest
from scipy import ndimage

from mmwsss.fileio.coco_masks import (
    decode_rle_string,
    encode_rle_string,
    mask_to_polygons,
    mask_to_rle_counts,
    polygon_to_mask,
    rle_to_mask,
)

# a ring with a hole and, touching it only diagonally, a corner block
_YY, _XX = np.mgrid[0:12, 0:11] + 0.5
_R = np.hypot(_YY - 6, _XX - 5.5)
RING = (_R <= 5) & (_R >= 2.5)
RING[0:2, 9:11] = True
# pycocotools: mask.encode(np.asfortranarray(RING.astype(np.uint8)))
RING_RLE = '?652NLO00O20N020N020N10014OJO42L7'
# a 40x50 mask with long runs (multi-group values) and a one-pixel hole
BIG = np.zeros((40, 50), bool)
BIG[3:37, 5:45] = True
BIG[10:12, :] = False
BIG[20, 30] = False
BIG_RLE = ('[672b04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04'
           '^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OL'
           'b04^OLb04^OLb04^OLb04^OLb04^OL1O85GLb04^OLb04^OLb04^OLb04^OLb04'
           '^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb0Y6')


@pytest.mark.parametrize('mask, ref', [(RING, RING_RLE), (BIG, BIG_RLE)])
def test_rle_string_matches_pycocotools(mask, ref):
    counts = mask_to_rle_counts(mask)
    assert sum(counts) == mask.size
    assert encode_rle_string(counts) == ref
    assert decode_rle_string(ref) == counts
    np.testing.assert_array_equal(rle_to_mask(counts, *mask.shape), mask)


def test_rle_counts_start_with_zeros():
    mask = np.ones((2, 3), bool)
    assert mask_to_rle_counts(mask) == [0, 6]
    assert mask_to_rle_counts(~mask) == [6]


def test_polygons_reproduce_masks_with_holes():
    # the ring and the corner block are two 4-connected parts; the ring's
    # hole is bridged into its polygon (pycocotools 2.0.11 decodes these
    # polygons to RING as well)
    polygons = mask_to_polygons(RING)
    assert len(polygons) == 2
    assert polygons[0] == [9, 0, 11, 0, 11, 2, 9, 2]
    back = np.zeros(RING.shape, bool)
    for poly in polygons:
        assert len(poly) % 2 == 0 and len(poly) >= 8
        back |= polygon_to_mask(poly, *RING.shape)
    np.testing.assert_array_equal(back, RING)


def test_polygons_on_random_masks():
    rng = np.random.default_rng(0)
    for trial in range(200):
        h, w = rng.integers(1, 25, 2)
        noise = rng.random((h, w))
        mask = (noise < 0.5 if trial % 2 else
                ndimage.gaussian_filter(noise, 1.5) > 0.5)
        back = np.zeros((h, w), bool)
        for poly in mask_to_polygons(mask):
            back |= polygon_to_mask(poly, h, w)
        np.testing.assert_array_equal(back, mask)
        counts = mask_to_rle_counts(mask)
        assert decode_rle_string(encode_rle_string(counts)) == counts
