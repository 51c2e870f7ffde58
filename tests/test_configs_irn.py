"""The IRN configs: settings of the official code, and the toy trains."""
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from helpers import ROOT
from mmwsss.engine import without_pretrained
from mmwsss.fileio.weight_hints import weight_hint
from mmwsss.ops import PathIndex
from mmwsss.registry import MODELS, TRANSFORMS

CONFIGS = ('irn_r50_irn_voc.py', 'irn_r50_rib_voc.py', 'irn_r50tiny_toy.py')


def load(name):
    return Config.fromfile(osp.join(ROOT, 'configs', 'affinity', name))


def build_model(cfg):
    model = MODELS.build(without_pretrained(cfg.model.to_dict()))
    model.init_weights()
    return model


@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds_model_and_pipeline(name):
    cfg = load(name)
    model = build_model(cfg)
    pipeline = [TRANSFORMS.build(t)
                for t in cfg.train_dataloader.dataset.pipeline]
    assert [type(t).__name__ for t in pipeline] == [
        'LoadImageFromFile', 'LoadIRLabel', 'IRNRandomRescale',
        'IRNRandomFlip', 'IRNRandomCrop', 'NearestDownsample',
        'PathPairLabels', 'PackAffinityInputs']
    crop, radius = pipeline[4].crop_size, pipeline[6].radius
    assert radius == model.loss_fn.radius == (5 if 'toy' in name else 10)
    PathIndex(radius, (crop // 4, crop // 4))  # the radius fits the grid
    assert cfg.val_cfg is None and cfg.val_dataloader is None
    assert cfg.train_dataloader.dataset.type == 'AffinityLabelDataset'
    assert cfg.train_dataloader.dataset.label_suffix == '.png'
    with torch.no_grad():
        edge, dp = model(torch.randn(1, 3, 64, 48), mode='tensor')
    assert edge.shape == (1, 1, 16, 12) and dp.shape == (1, 2, 16, 12)


def test_voc_config_is_the_official_recipe():
    cfg = load('irn_r50_irn_voc.py')
    assert cfg.model.backbone.frozen
    assert cfg.model.backbone.init_cfg.checkpoint == \
        'pretrained/resnet50-19c8e357.pth'
    hint = weight_hint(cfg.model.backbone.init_cfg.checkpoint)
    assert 'https://download.pytorch.org/models/resnet50-19c8e357.pth' in hint
    assert cfg.train_dataloader.batch_size == 32
    assert cfg.train_dataloader.dataset.split == 'trainaug'
    assert cfg.train_cfg.max_iters == 990
    assert cfg.param_scheduler[0].type == 'PolyLR'
    assert cfg.param_scheduler[0].power == 0.9
    assert cfg.param_scheduler[0].end == 990
    pipeline = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
    assert pipeline['IRNRandomCrop'].crop_size == 512
    assert pipeline['IRNRandomRescale'].scale_range == (0.5, 1.5)
    assert pipeline['PathPairLabels'].num_classes == 21
    model = MODELS.build(dict(
        without_pretrained(cfg.model.to_dict()),
        backbone=dict(type='ResNet50Stages', base_channels=8),
        head=dict(type='IRNHead', in_channels=(8, 32, 64, 128, 256))))
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    sgd = wrapper.optimizer
    assert sgd.defaults['momentum'] == 1e-4  # official quirk
    lrs = {}
    names = {id(p): n for n, p in model.named_parameters()}
    for group in sgd.param_groups:
        assert group['weight_decay'] == 1e-4
        for p in group['params']:
            if p.requires_grad:
                lrs.setdefault(names[id(p)].split('.')[1][:7], set()).add(
                    group['lr'])
    assert lrs == {'fc_edge': {0.1}, 'fc_dp1': {1.0}, 'fc_dp2': {1.0},
                   'fc_dp3': {1.0}, 'fc_dp4': {1.0}, 'fc_dp5': {1.0},
                   'fc_dp6': {1.0}, 'fc_dp7': {1.0}}


def test_rib_config_trains_the_same_network():
    irn, rib = load('irn_r50_irn_voc.py'), load('irn_r50_rib_voc.py')
    for key in ('model', 'train_dataloader', 'optim_wrapper',
                'param_scheduler', 'train_cfg'):
        assert irn[key] == rib[key], key


def test_toy_config_trains_with_the_runner(toy_voc, tmp_path):
    """Two iterations on the 64 x 64 toy set with its masks as IR labels."""
    from mmengine.runner import Runner
    label_dir = str(tmp_path / 'ir_label')
    shutil.copytree(osp.join(toy_voc, 'SegmentationClass'), label_dir)
    cfg = load('irn_r50tiny_toy.py')
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg.max_iters = 2
    cfg.default_hooks.checkpoint.interval = 2
    cfg.default_hooks.logger.interval = 1
    cfg.param_scheduler[0].end = 2
    loader = cfg.train_dataloader
    loader.update(batch_size=2, num_workers=0, persistent_workers=False)
    loader.dataset.update(data_root=toy_voc, label_dir=label_dir)
    runner = Runner.from_cfg(cfg)
    before = {k: v.clone() for k, v in runner.model.state_dict().items()}
    runner.train()
    assert runner.iter == 2
    scalars = runner.message_hub.log_scalars
    assert np.isfinite(scalars['train/loss'].current())
    assert {'train/aff_neg', 'train/dp_fg'} <= set(scalars)
    assert osp.isfile(osp.join(cfg.work_dir, 'iter_2.pth'))
    after = runner.model.state_dict()
    # not frozen: the toy trunk trains too
    assert not torch.equal(before['backbone.conv1.weight'],
                           after['backbone.conv1.weight'])
    image = np.zeros((64, 64, 3), np.uint8)
    assert runner.model.edge_map(image)['edge'].shape == (16, 16)
