import copy
import glob
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner import Runner

from helpers import ROOT, build_module, cls_preprocessor, tiny_resnet38d
from mmwsss.datasets import TOY_CLASSES
from mmwsss.models.classifiers.aeft_classifier import erasing_mask
from mmwsss.registry import DATASETS


def build_model(**kwargs):
    cfg = dict(
        type='AEFTClassifier',
        data_preprocessor=cls_preprocessor(),
        backbone=tiny_resnet38d(),
        head=dict(type='GPPHead', num_classes=6, in_channels=512,
                  hidden_channels=32),
        triplet_loss=dict(type='TripletErasingLoss', margin=0.5),
        cls_batch_size=4)
    cfg.update(kwargs)
    return build_module(cfg, seed=0)


def toy_batch(model, toy_voc, num=8):
    dataset = DATASETS.build(
        dict(
            type='VOCClsDataset',
            data_root=toy_voc,
            split='train',
            label_source='file',
            metainfo=dict(classes=TOY_CLASSES),
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='mmpretrain.PackInputs')
            ]))
    return model.data_preprocessor(
        pseudo_collate([dataset[i] for i in range(num)]), training=True)


def test_erasing_mask_against_thresholds():
    cams = torch.zeros(1, 2, 4, 4, dtype=torch.float64)
    cams[0, 0] = torch.arange(16, dtype=torch.float64).view(4, 4)
    cams[0, 1] = 100.0  # absent class: ignored
    labels = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    normed = ((cams[0, 0] - 1e-5).clamp(min=0) / (15 + 1e-5))
    soft = erasing_mask(cams, labels, (4, 4), high_thr=0.6)
    hard = erasing_mask(cams, labels, (4, 4), high_thr=0.6, soft=False)
    keep = normed < 0.6
    assert soft.shape == (1, 1, 4, 4)
    assert torch.allclose(soft[0, 0], normed * keep)
    assert torch.equal(hard[0, 0], keep.double())
    assert soft[0, 0, 0, 0] == 0  # the minimum (background) is dimmed to 0
    # several classes: the per-pixel maximum over present classes decides
    labels = torch.tensor([[1.0, 1.0]], dtype=torch.float64)
    cams[0, 1] = cams[0, 0].flip(-1)
    both = erasing_mask(cams, labels, (4, 4), 0.6, soft=False)
    assert torch.equal(both[0, 0], (torch.maximum(normed, normed.flip(-1)) <
                                    0.6).double())


def test_soft_mask_is_upsampled_and_carries_gradient():
    cams = torch.randn(2, 3, 5, 5, requires_grad=True)
    labels = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    mask = erasing_mask(cams, labels, (40, 40), 0.6)
    assert mask.shape == (2, 1, 40, 40)
    assert (mask >= 0).all() and (mask < 0.6).all()
    mask.sum().backward()
    assert cams.grad.abs().sum() > 0
    hard = erasing_mask(cams, labels, (40, 40), 0.6, soft=False)
    assert not hard.requires_grad


def test_phases_and_classification_on_the_first_images(toy_voc):
    model = build_model()
    model.train()
    batch = toy_batch(model, toy_voc)
    losses = model.loss(**batch)
    assert set(losses) == {
        'loss_cls', 'loss_aeft_attract', 'loss_aeft_repel',
        'aeft_hard_triplets'
    }
    targets = model.targets(batch['data_samples'])
    logits = model.train_outputs(batch['inputs'], targets)['logits']
    expected = model.head.loss_cls(logits[:4], targets[:4])
    assert losses['loss_cls'].item() == pytest.approx(expected.item(),
                                                      rel=1e-5)
    model.aeft_enabled = False
    assert set(model.loss(**batch)) == {'loss_cls'}


def test_aeft_steps_lower_the_loss_on_toy_data(toy_voc):
    model = build_model(cls_batch_size=None)
    model.train()
    batch = toy_batch(model, toy_voc)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    totals = []
    for _ in range(8):
        losses = model.loss(**batch)
        total = sum(v for k, v in losses.items() if k.startswith('loss'))
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        totals.append(total.item())
    assert all(torch.isfinite(torch.tensor(totals)))
    assert totals[-1] < 0.8 * totals[0]


def toy_runner_cfg(toy_voc, work_dir, max_iters, begin, batch_size):
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'aeft', 'aeft_gpp_r38tiny_toy.py'))
    cfg.work_dir = work_dir
    # mmengine keeps visualizers by name per process: one per work dir
    cfg.visualizer.name = f'vis_{work_dir}'
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = 1000
    cfg.default_hooks.checkpoint.interval = 1
    cfg.default_hooks.logger.interval = 1
    cfg.custom_hooks[1] = dict(
        type='AEFTSwitchHook', begin=begin, batch_size=batch_size)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = toy_voc
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    cfg.train_dataloader.batch_size = 2
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    return cfg


def logged_losses(work_dir):
    rows = []
    for path in sorted(
            glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            rows += [json.loads(line) for line in f]
    return {row['step']: row for row in rows if 'loss' in row}


def test_switch_hook_changes_phase_and_batch_size_and_resumes(
        toy_voc, tmp_path):
    work_dir = str(tmp_path)
    runner = Runner.from_cfg(toy_runner_cfg(toy_voc, work_dir, 3, 2, 4))
    runner.train()
    assert runner.model.aeft_enabled
    assert runner.train_loop.dataloader.batch_size == 4
    rows = logged_losses(work_dir)
    assert 'loss_aeft_attract' not in rows[1] and 'loss_aeft_attract' not in \
        rows[2]
    assert 'loss_aeft_attract' in rows[3]

    cfg = toy_runner_cfg(toy_voc, work_dir, 4, 2, 4)
    cfg.resume = True
    runner = Runner.from_cfg(copy.deepcopy(cfg))
    runner.train()
    assert runner.iter == 4 and runner.model.aeft_enabled
    assert runner.train_loop.dataloader.batch_size == 4
    assert 'loss_aeft_attract' in logged_losses(work_dir)[4]


def test_switch_hook_rejects_other_models_and_bad_arguments():
    from mmwsss.engine.hooks import AEFTSwitchHook
    with pytest.raises(ValueError):
        AEFTSwitchHook(begin=-1)
    with pytest.raises(ValueError):
        AEFTSwitchHook(begin=2, batch_size=0)

    class FakeRunner:
        model = torch.nn.Linear(1, 1)

    with pytest.raises(TypeError, match='AEFTClassifier'):
        AEFTSwitchHook(begin=2)._model(FakeRunner())


def test_bad_arguments():
    with pytest.raises(ValueError):
        build_model(erase_thr=0)
    with pytest.raises(ValueError):
        build_model(cls_batch_size=0)


def test_float64_step_equals_the_composed_pieces(toy_voc):
    """One AEFT step with fixed negatives, in float64, equals its
    pieces composed by hand."""
    from mmwsss.models.losses.triplet_erasing_loss import (
        attraction_embedding,
        negative_embedding,
        repulsion_loss,
        residual_embedding,
    )
    model = build_model(
        triplet_loss=dict(type='TripletErasingLoss', margin=10.0,
                          min_hard_triplets=1)).double().eval()
    batch = toy_batch(model, toy_voc)
    inputs = batch['inputs'].double()
    targets = model.targets(batch['data_samples']).double()
    negatives = torch.tensor([3, 2, 1, 0, 7, 6, 5, 4])
    disjoint = (targets @ targets.t()) == 0
    negatives[~disjoint[torch.arange(8), negatives]] = -1
    losses = model.aeft_loss(inputs, targets, negatives)

    f = model.class_maps(inputs)
    gpp = model.head.pyramid(f)['merged'][-1]
    mask = erasing_mask(f, targets, inputs.shape[-2:], 0.6)
    erased_gpp = model.head.forward_train(
        model.extract_feat(inputs * mask))['gpp_map']
    attract = (attraction_embedding(gpp, targets) -
               attraction_embedding(erased_gpp, targets)).abs().mean()
    valid = negatives >= 0
    repel, _, _ = repulsion_loss(
        residual_embedding(f, gpp, targets, 0.2)[valid],
        negative_embedding(gpp, targets)[negatives[valid]], 10.0, 1)
    logits = model.head.score_maps(f, gpp)
    cls = torch.nn.functional.binary_cross_entropy_with_logits(
        logits[:4], targets[:4])
    assert losses['loss_cls'].dtype == torch.float64
    assert losses['loss_cls'].item() == pytest.approx(cls.item(), rel=1e-10)
    assert losses['loss_aeft_attract'].item() == pytest.approx(
        0.2 * attract.item(), rel=1e-10)
    assert losses['loss_aeft_repel'].item() == pytest.approx(
        0.15 * repel.item(), rel=1e-10)
    assert repel.item() > 0
