"""The AffinityNet configs: the official settings each one carries, models
that build, and a two-iteration toy run through the whole training
pipeline (dataset, transforms, preprocessor, model, optimiser)."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from helpers import ROOT
from mmwsss import fileio
from mmwsss.datasets import make_toy_voc
from mmwsss.engine import build_runner, without_pretrained
from mmwsss.registry import MODELS

CONFIGS = {
    name: osp.join(ROOT, 'configs', 'affinity', f'affinitynet_r38{name}.py')
    for name in ('_psa_voc', '_aeft_voc', '_hfpl_voc', 'tiny_toy')
}


def label_step(cfg):
    (step, ) = [t for t in cfg.train_dataloader.dataset.pipeline
                if t['type'] == 'CRFAffinityLabel']
    return step


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_settings(name):
    cfg = Config.fromfile(CONFIGS[name])
    model, loader = cfg.model, cfg.train_dataloader
    assert model.type == 'AffinityNet'
    # the labels and the network agree on the pairs
    step = label_step(cfg)
    assert step.radius == model.radius == 5
    assert step.radius_rule == model.radius_rule
    # AEFT / hfpl shrink the radius on small grids; so does the toy, whose
    # images may be smaller than 72 pixels a side
    assert model.radius_rule == ('psa' if name == '_psa_voc' else 'aeft')
    assert model.backbone.dropout == (0.3, 0.5)
    assert model.backbone.out_indices == ('b5_in', 'b6_in', 'final')
    assert model.backbone.frozen_stages == ('conv1a', 'b2', 'b2_1', 'b2_2')
    assert model.data_preprocessor.bgr_to_rgb
    # optimiser: official quirk momentum = weight decay = 5e-4, head x10
    optim = cfg.optim_wrapper
    assert optim.optimizer.momentum == optim.optimizer.weight_decay == 5e-4
    assert optim.paramwise_cfg.custom_keys == {'head': dict(lr_mult=10.0)}
    assert optim.optimizer.lr == (0.1 if name == '_psa_voc' else 0.01)
    (poly, ) = cfg.param_scheduler
    assert poly.type == 'PolyLR' and poly.power == 0.9
    assert poly.end == cfg.train_cfg.max_iters
    assert cfg.val_cfg is None and cfg.val_dataloader is None
    assert loader.batch_size == 8 and loader.drop_last
    assert loader.dataset.type == 'AffinityLabelDataset'
    crop = [t for t in loader.dataset.pipeline
            if t['type'] == 'PSARandomCrop'][0]
    jitter = [t for t in loader.dataset.pipeline
              if t['type'] == 'mmpretrain.ColorJitter'][0]
    assert (jitter.brightness, jitter.contrast, jitter.saturation,
            jitter.hue) == (0.3, 0.3, 0.3, 0.1)
    init = model.backbone.init_cfg
    if name == 'tiny_toy':
        assert cfg.train_cfg.max_iters == 300 and crop.crop_size == 96
        assert model.backbone.width_mult == 0.0625
        assert init.checkpoint == 'pretrained/r38tiny_toypre.pth'
        assert loader.dataset.data_root == 'data/toyvoc'
    else:
        assert cfg.train_cfg.max_iters == 10576 and crop.crop_size == 448
        assert loader.dataset.split == 'trainaug'
        assert loader.dataset.data_root == 'data/VOCdevkit/VOC2012'
        if name == '_aeft_voc':  # the classifier checkpoint, via load_from
            assert init is None and cfg.load_from is None
        else:
            assert init.checkpoint == 'pretrained/resnet38d_imagenet.pth'


def test_toy_model_widths():
    cfg = Config.fromfile(CONFIGS['tiny_toy'])
    net = MODELS.build(without_pretrained(cfg.model.to_dict()))
    assert net.backbone.out_channels['b5_in'] == 32
    assert net.backbone.out_channels['b6_in'] == 64
    assert net.backbone.out_channels['final'] == 256
    assert net(torch.zeros(1, 3, 96, 96), mode='tensor').shape == (1, 112,
                                                                    12, 12)


def crf_scores_from_masks(root, label_dir, ids):
    """Stand-in CRF maps: the ground truth, softened, at two powers."""
    os.makedirs(label_dir, exist_ok=True)
    for img_id in ids:
        mask = fileio.read_label_png(
            osp.join(root, 'SegmentationClass', img_id + '.png'), 6)
        keys = np.array(sorted(set(np.unique(mask)) - {0, 255}), np.int64) - 1
        onehot = np.stack([mask == 0] + [mask == k + 1 for k in keys])
        lo = (0.2 + onehot * (1 + 0.5 * np.arange(len(keys) + 1)[:, None,
                                                                  None]))
        hi = lo.copy()
        hi[0] *= 3
        np.savez(osp.join(label_dir, img_id + '.npz'), keys=keys,
                 scores_lo=(lo / lo.sum(0)).astype(np.float32),
                 scores_hi=(hi / hi.sum(0)).astype(np.float32))


def test_toy_training_runs(tmp_path):
    root = make_toy_voc(str(tmp_path / 'toy'), num_train=4, num_val=1,
                        size=96)
    ids = fileio.read_split(
        osp.join(root, 'ImageSets', 'Segmentation', 'train.txt'))
    crf_scores_from_masks(root, osp.join(root, 'crf'), ids)
    cfg = Config.fromfile(CONFIGS['tiny_toy'])
    cfg.model = without_pretrained(cfg.model.to_dict())
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg.max_iters = 2
    cfg.param_scheduler[0].end = 2
    cfg.default_hooks.checkpoint.interval = 2
    cfg.default_hooks.logger.interval = 1
    cfg.train_dataloader.update(batch_size=2, num_workers=0,
                                persistent_workers=False)
    cfg.train_dataloader.dataset.update(data_root=root, label_dir='crf')
    runner = build_runner(cfg)
    before = runner.model.head.f9.weight.detach().clone()
    runner.train()
    groups = runner.optim_wrapper.optimizer.param_groups
    head = [g for g in groups
            if any(p is runner.model.head.f9.weight for p in g['params'])]
    trunk = [g for g in groups if any(
        p is runner.model.backbone.b7.conv_branch1.weight
        for p in g['params'])]
    assert head[0]['initial_lr'] == pytest.approx(0.1)
    assert trunk[0]['initial_lr'] == pytest.approx(0.01)
    assert osp.isfile(osp.join(cfg.work_dir, 'iter_2.pth'))
    assert not torch.equal(before, runner.model.head.f9.weight)
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert np.isfinite(loss) and loss > 0
    assert runner.message_hub.get_scalar('train/count_neg').current() > 0
