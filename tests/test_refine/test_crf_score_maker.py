"""CRFScoreMaker: AffinityNet's low / high background-power CRF maps."""
import numpy as np
import pytest

from mmwsss.ops import dense_crf
from mmwsss.refine.affinity_labels import CRFScoreMaker


def two_blob_case():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)
    yy, xx = np.mgrid[:24, :32]
    cam_a = np.exp(-((yy - 8)**2 + (xx - 8)**2) / 30.0)
    cam_b = np.exp(-((yy - 16)**2 + (xx - 24)**2) / 30.0)
    return image, np.stack([cam_b, cam_a]).astype(np.float32)


def test_scores_are_the_crf_of_the_powered_background():
    image, cams = two_blob_case()
    keys = np.array([9, 2])  # unsorted: the maker sorts by class
    out = CRFScoreMaker(bg_powers=(2, 21))(image, cams, keys)
    assert out['keys'].tolist() == [2, 9]
    assert out['scores_lo'].shape == out['scores_hi'].shape == (3, 24, 32)
    assert out['scores_lo'].dtype == np.float32
    sorted_cams = cams[::-1]
    for key, alpha in (('scores_lo', 2), ('scores_hi', 21)):
        bg = (1 - sorted_cams.max(0))**alpha
        expected = dense_crf(image, np.concatenate([bg[None], sorted_cams
                                                    ]).astype(np.float32))
        np.testing.assert_allclose(out[key], expected, atol=1e-6)
        np.testing.assert_allclose(out[key].sum(0), 1, atol=1e-4)
    # a higher power shrinks the background: fewer background pixels
    assert (out['scores_hi'].argmax(0) == 0).sum() < (
        out['scores_lo'].argmax(0) == 0).sum()


def test_no_class_gives_certain_background_and_bad_powers_raise():
    image, cams = two_blob_case()
    out = CRFScoreMaker()(image, cams[:0], np.zeros(0, np.int64))
    assert out['scores_lo'].shape == (1, 24, 32)
    assert (out['scores_hi'] == 1).all()
    with pytest.raises(ValueError, match='bg_powers'):
        CRFScoreMaker(bg_powers=(21, 2))
