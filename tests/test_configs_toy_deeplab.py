"""The toy DeepLab-V2 recipes: deeplabv2_r38tiny_toy_pseudo.py upsamples
every image 2x (a 24x24 output grid for the 96x96 toy) and scores at the
original size; its _96 twin is the same recipe at the toy's own size."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from helpers import ROOT
from mmwsss.registry import DATASETS, MODELS

DEEPLAB = osp.join(ROOT, 'configs', 'deeplab')


def dataset(cfg, loader, toy_voc, pipeline=None):
    ds = cfg[loader].dataset.copy()
    ds.update(data_root=toy_voc, serialize_data=False)
    ds.data_prefix = dict(ds.data_prefix, seg_map_path='SegmentationClass')
    if pipeline is not None:
        ds.pipeline = pipeline
    return DATASETS.build(ds)


@pytest.mark.parametrize('name, scale', [
    ('deeplabv2_r38tiny_toy_pseudo.py', 2),
    ('deeplabv2_r38tiny_toy_pseudo_96.py', 1),
])
def test_toy_deeplab_input_scale(name, scale, toy_voc):
    cfg = Config.fromfile(osp.join(DEEPLAB, name))
    init_default_scope('mmwsss')
    size = 64  # the fixture's images
    train = dataset(cfg, 'train_dataloader', toy_voc)[0]
    # training: image and (pseudo) labels resized together
    assert tuple(train['inputs'].shape[1:]) == (size * scale, ) * 2
    assert tuple(train['data_samples'].gt_sem_seg.data.shape[1:]) == (
        size * scale, ) * 2
    test = dataset(cfg, 'test_dataloader', toy_voc)[0]
    # testing: the image is resized, the ground truth stays at its size and
    # the prediction is resized back to ori_shape, so scores are comparable
    assert tuple(test['inputs'].shape[1:]) == (size * scale, ) * 2
    assert tuple(test['data_samples'].gt_sem_seg.data.shape[1:]) == (size,
                                                                      ) * 2
    assert test['data_samples'].ori_shape == (size, size)
    tta = dataset(cfg, 'test_dataloader', toy_voc, cfg.tta_pipeline)[0]
    shapes = sorted({tuple(x.shape[1:]) for x in tta['inputs']})
    assert shapes == [(int(size * r), ) * 2 for r in cfg.img_ratios]
    assert cfg.img_ratios == [0.75 * scale, scale, 1.25 * scale]
    # the whole (resized) image is the training input
    assert tuple(cfg.model.data_preprocessor.size) == (96 * scale, ) * 2


def test_toy_deeplab_predicts_at_the_original_size(toy_voc):
    cfg = Config.fromfile(
        osp.join(DEEPLAB, 'deeplabv2_r38tiny_toy_pseudo.py'))
    init_default_scope('mmwsss')
    model_cfg = cfg.model.copy()
    model_cfg.backbone.init_cfg = None
    model_cfg.data_preprocessor.size = None  # the fixture is 64x64
    model = MODELS.build(model_cfg).eval()
    item = dataset(cfg, 'test_dataloader', toy_voc)[0]
    with torch.no_grad():
        (pred, ) = model.test_step(
            dict(inputs=[item['inputs']], data_samples=[item['data_samples']]))
    # the logits of the 128x128 input come back at the image's 64x64
    assert tuple(pred.pred_sem_seg.data.shape[1:]) == (64, 64)
    assert tuple(pred.seg_logits.data.shape) == (7, 64, 64)
