import copy
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.models.segmentors import SegTTAModel
from mmseg.structures import SegDataSample
from PIL import Image

from helpers import ROOT
from mmwsss.models.segmentors import BANA_DEEPLABV2_CRF
from mmwsss.ops import dense_crf
from mmwsss.registry import MODELS

H, W, EDGE, WRONG_EDGE = 24, 40, 24, 16


class StubSegmentor(nn.Module):
    """Stands in for the segmentor: merge_preds only needs out_channels."""

    def __init__(self, out_channels=2):
        super().__init__()
        self.out_channels = out_channels

    def test_step(self, data):
        raise AssertionError('merge_preds is tested directly')


def two_region_image():
    """Red left of column EDGE, blue right of it."""
    image = np.empty((H, W, 3), np.uint8)
    image[:, :EDGE] = (200, 40, 40)
    image[:, EDGE:] = (40, 40, 200)
    return image


def soft_probs():
    """2-class probabilities whose boundary sits at WRONG_EDGE: columns
    WRONG_EDGE..EDGE-1 lean (0.45) to class 1 though they are red."""
    p0 = np.full((H, W), 0.3, np.float32)
    p0[:, :WRONG_EDGE] = 0.8
    p0[:, WRONG_EDGE:EDGE] = 0.45
    return np.stack([p0, 1 - p0])


def image_gt():
    gt = np.ones((H, W), np.int64)
    gt[:, :EDGE] = 0
    return gt


@pytest.fixture
def views(tmp_path):
    """Two views of one image (logits = log P, so P is the merge)."""
    path = str(tmp_path / 'img.png')
    Image.fromarray(two_region_image()).save(path)
    logits = torch.from_numpy(np.log(soft_probs()))
    gt = torch.from_numpy(image_gt())[None]
    samples = []
    for flip in (False, True):
        sample = SegDataSample(
            metainfo=dict(img_path=path, ori_shape=(H, W), flip=flip))
        sample.seg_logits = PixelData(data=logits.clone())
        sample.gt_sem_seg = PixelData(data=gt.clone())
        samples.append(sample)
    return [samples]


def build_tta(crf=None, out_channels=2):
    return MODELS.build(
        dict(
            type='CRFSegTTAModel',
            module=StubSegmentor(out_channels),
            crf=crf))


def test_dense_crf_moves_the_boundary_to_the_image_edge():
    probs = soft_probs()
    before = probs.argmax(0)
    assert (before == image_gt()).mean() == pytest.approx(1 - 8 / W)
    marginals = dense_crf(two_region_image(), probs, **BANA_DEEPLABV2_CRF)
    assert marginals.shape == probs.shape and marginals.dtype == np.float32
    assert np.allclose(marginals.sum(0), 1, atol=1e-4)
    after = marginals.argmax(0)
    assert np.array_equal(after, image_gt())
    # the red columns gained class-0 probability, the blue ones did not
    red_gap = slice(WRONG_EDGE, EDGE)
    assert (marginals[0][:, red_gap] > probs[0][:, red_gap]).all()
    assert (marginals[0][:, EDGE:] < 0.5).all()


def test_dense_crf_without_iterations_keeps_the_probabilities():
    probs = soft_probs()
    params = dict(BANA_DEEPLABV2_CRF, n_iter=0)
    marginals = dense_crf(two_region_image(), probs, **params)
    assert np.allclose(marginals, probs, atol=1e-5)


def test_dense_crf_checks_the_image_size():
    with pytest.raises(ValueError, match='image'):
        dense_crf(two_region_image()[:-1], soft_probs(), **BANA_DEEPLABV2_CRF)


def test_without_crf_it_is_mmseg_seg_tta_model(views):
    ours = build_tta(crf=dict(n_iter=0))
    assert not ours.use_crf
    reference = SegTTAModel(module=StubSegmentor())
    got = ours.merge_preds(copy.deepcopy(views))
    want = reference.merge_preds(copy.deepcopy(views))
    assert torch.equal(got[0].pred_sem_seg.data.squeeze(),
                       want[0].pred_sem_seg.data.squeeze())
    assert (got[0].pred_sem_seg.data.squeeze().numpy() == 0).sum() == (
        WRONG_EDGE * H)


def test_crf_refines_the_merged_prediction(views):
    tta = build_tta(crf=dict(n_iter=10))
    assert tta.use_crf and tta.crf == BANA_DEEPLABV2_CRF
    (merged, ) = tta.merge_preds(views)
    pred = merged.pred_sem_seg.data
    assert pred.shape == (1, H, W)
    assert np.array_equal(pred[0].numpy(), image_gt())
    assert torch.equal(merged.gt_sem_seg.data, views[0][0].gt_sem_seg.data)
    assert merged.img_path == views[0][0].img_path


@pytest.mark.parametrize('name', [
    'deeplab/deeplabv2_r101_voc_pseudo.py',
    'deeplab/deeplabv3plus_r101v1c_voc_pseudo.py',
    'deeplab/deeplabv2_r18_toy_pseudo.py'
])
def test_crf_parameters_come_from_the_config(name):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', name))
    crf = cfg.tta_model.crf.to_dict()
    assert cfg.tta_model.type == 'CRFSegTTAModel'
    # `--tta` alone: multi-scale + flip, no CRF
    assert not build_tta(crf=crf).use_crf
    # `--tta --cfg-options tta_model.crf.n_iter=10`: BANA's V2 CRF
    cfg.merge_from_dict({'tta_model.crf.n_iter': 10})
    assert build_tta(crf=cfg.tta_model.crf.to_dict()).crf == (
        BANA_DEEPLABV2_CRF)


def test_partial_crf_dict_takes_the_bana_defaults():
    tta = build_tta(crf=dict(n_iter=1, bilateral_srgb=13))
    assert tta.crf == dict(BANA_DEEPLABV2_CRF, n_iter=1, bilateral_srgb=13)
    assert not build_tta(crf=None).use_crf


@pytest.mark.parametrize('crf', [dict(iterations=10), dict(n_iter=-1)])
def test_bad_crf_parameters(crf):
    with pytest.raises(ValueError):
        build_tta(crf=crf)


def test_crf_needs_per_class_scores():
    with pytest.raises(ValueError, match='single'):
        build_tta(crf=dict(n_iter=10), out_channels=1)
    assert not build_tta(crf=None, out_channels=1).use_crf


def test_logit_merge_averages_scores_before_the_softmax(views):
    # three views with class-0 margins 10, -2, -2: the mean logit margin is
    # 2 (class 0), the mean probability of class 0 is (1 + 2·0.12) / 3 =
    # 0.41 (class 1)
    views = [views[0] + [copy.deepcopy(views[0][1])]]
    for view, margin in zip(views[0], (10.0, -2.0, -2.0)):
        logits = torch.tensor([margin, 0.0]).view(2, 1, 1).expand(2, H, W)
        view.seg_logits = PixelData(data=logits.clone())
    by_logits = MODELS.build(
        dict(type='CRFSegTTAModel', module=StubSegmentor(),
             merge='logits')).merge_preds(copy.deepcopy(views))[0]
    by_probs = build_tta().merge_preds(copy.deepcopy(views))[0]
    assert (by_logits.pred_sem_seg.data == 0).all()
    assert (by_probs.pred_sem_seg.data == 1).all()
    with pytest.raises(Exception, match='merge'):
        MODELS.build(dict(type='CRFSegTTAModel', module=StubSegmentor(),
                          merge='mean'))
