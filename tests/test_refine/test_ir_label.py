"""IRN's IR labels: two thresholds, the label CRF, and their combination."""
import numpy as np
import pytest

from mmwsss.refine.affinity_labels import IRLabelMaker, ir_label
from mmwsss.registry import TASK_UTILS

pytest.importorskip('pydensecrf.densecrf')


def three_bands(height=24, width=36):
    """Three flat colour bands; one class whose CAM is 0.6 / 0.1 / 0.01 on
    them: above both thresholds, between them, below both."""
    image = np.zeros((height, width, 3), np.uint8)
    cam = np.zeros((1, height, width), np.float32)
    for k, (colour, value) in enumerate([((220, 30, 30), 0.6),
                                         ((30, 200, 30), 0.1),
                                         ((30, 30, 220), 0.01)]):
        image[:, 12 * k:12 * (k + 1)] = colour
        cam[0, :, 12 * k:12 * (k + 1)] = value
    return image, cam


def reference(cams, keys, fg_thr, bg_thr):
    """The rule without the CRF (what 0 mean-field iterations give)."""
    keys0 = np.concatenate([[0], keys + 1])
    conf = {}
    for name, thr in (('fg', fg_thr), ('bg', bg_thr)):
        scores = np.concatenate([np.full((1, *cams.shape[1:]), thr), cams])
        conf[name] = keys0[scores.argmax(0)]
    label = np.where(conf['fg'] > 0, conf['fg'], 255)
    label[(conf['fg'] == 0) & (conf['bg'] == 0)] = 0
    return label.astype(np.uint8)


def test_thresholds_on_flat_regions():
    image, cams = three_bands()
    out = ir_label(image, cams, np.array([4]), fg_thr=0.30, bg_thr=0.05)
    label = out['label']
    assert label.dtype == np.uint8 and label.shape == (24, 36)
    assert (label[:, :12] == 5).all()  # confident foreground
    assert (label[:, 12:24] == 255).all()  # only the low threshold says fg
    assert (label[:, 24:] == 0).all()  # confident background
    np.testing.assert_array_equal(out['idx_fg'][:, :12], 1)
    np.testing.assert_array_equal(out['idx_fg'][:, 12:], 0)
    np.testing.assert_array_equal(out['idx_bg'][:, :24], 1)
    np.testing.assert_array_equal(out['conf_bg'][:, :24], 5)
    np.testing.assert_array_equal(out['pred_fg'], out['idx_fg'])
    # RIB's thresholds: 0.1 < 0.17, so the middle band is background
    out = ir_label(image, cams, np.array([4]), fg_thr=0.35, bg_thr=0.17)
    assert (out['label'][:, 12:] == 0).all() and (
        out['label'][:, :12] == 5).all()


def test_tie_with_the_threshold_goes_to_background():
    image, cams = three_bands()
    out = ir_label(image, cams, np.array([4]), fg_thr=0.6, bg_thr=0.1,
                   crf=dict(n_iter=0))
    assert (out['idx_fg'] == 0).all()
    assert (out['idx_bg'][:, 12:24] == 0).all()
    assert (out['label'][:, :12] == 255).all()


def test_combination_rule_against_a_direct_reference():
    rng = np.random.default_rng(0)
    cams = rng.uniform(0, 0.5, (3, 16, 20)).astype(np.float32)
    keys = np.array([2, 7, 11])
    image = rng.integers(0, 256, (16, 20, 3), dtype=np.uint8)
    out = ir_label(image, cams, keys, 0.3, 0.1, crf=dict(n_iter=0))
    np.testing.assert_array_equal(out['label'],
                                  reference(cams, keys, 0.3, 0.1))
    assert set(np.unique(out['label'])) == {0, 3, 8, 12, 255}
    # with the CRF the rule still holds on its predictions
    out = ir_label(image, cams, keys, 0.3, 0.1)
    fg, bg = out['conf_fg'], out['conf_bg']
    expected = np.where(fg > 0, fg, np.where(bg == 0, 0, 255))
    np.testing.assert_array_equal(out['label'], expected)


def test_maker_registry_defaults_and_key_order():
    maker = TASK_UTILS.build(dict(type='IRLabelMaker'))
    assert isinstance(maker, IRLabelMaker) and maker.suffix == '.png'
    assert (maker.fg_thr, maker.bg_thr) == (0.30, 0.05)
    assert maker.crf['bilateral_sxy'] == 50 and maker.crf['gt_prob'] == 0.7
    assert 'fg_thr=0.3' in repr(maker)
    image, cams = three_bands()
    np.testing.assert_array_equal(
        maker(image, cams, np.array([4])),
        ir_label(image, cams, np.array([4]), 0.30, 0.05)['label'])
    # equal CAMs: the argmax tie goes to the smaller key, in any order
    rib = IRLabelMaker(fg_thr=0.35, bg_thr=0.17, crf=dict(n_iter=0))
    two = np.concatenate([cams, cams])
    a = rib(image, two, np.array([9, 4]))
    b = rib(image, two, np.array([4, 9]))
    np.testing.assert_array_equal(a, b)
    assert (a[:, :12] == 5).all()
    # no class: all background
    empty = maker(image, np.zeros((0, 24, 36), np.float32), np.zeros(0))
    assert empty.dtype == np.uint8 and (empty == 0).all()


def test_bad_settings_and_inputs():
    with pytest.raises(ValueError, match='bg_thr <= fg_thr'):
        IRLabelMaker(fg_thr=0.1, bg_thr=0.2)
    with pytest.raises(ValueError, match='unknown crf'):
        IRLabelMaker(crf=dict(sxy=3))
    image, cams = three_bands()
    with pytest.raises(ValueError, match='do not match'):
        IRLabelMaker()(image, cams, np.array([1, 2]))
    with pytest.raises(ValueError, match='must not exceed'):
        ir_label(image, cams, np.array([1]), 0.1, 0.2)
