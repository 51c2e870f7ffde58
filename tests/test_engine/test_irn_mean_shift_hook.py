"""IRNMeanShiftHook: IRN's displacement mean measured after training."""
import copy
import os.path as osp
import shutil
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine import dist
from mmengine.config import Config, ConfigDict

from helpers import ROOT
from mmwsss.engine import build_runner, without_pretrained
from mmwsss.engine.hooks import IRNMeanShiftHook, displacement_mean
from mmwsss.registry import MODELS
from mmwsss.utils import InvalidInputError

TOY_CFG = osp.join(ROOT, 'configs', 'affinity', 'irn_r50tiny_toy.py')
MEAN = np.array([123.675, 116.28, 103.53])
STD = np.array([58.395, 57.12, 57.375])
CROP = 80  # larger than the 64 x 64 test images: padding is exercised


def test_displacement_mean_is_the_mean_of_batch_means():
    a = torch.arange(2 * 2 * 3 * 4, dtype=torch.float32).view(2, 2, 3, 4)
    b = torch.tensor([[[[1.0]], [[-2.0]]]])  # one 1 x 1 sample
    # batch means: a: (mean 0..11 and 24..35 = 17.5, 12..23, 36..47 = 29.5)
    expected = torch.tensor([(17.5 + 1.0) / 2, (29.5 - 2.0) / 2])
    torch.testing.assert_close(displacement_mean([a, b]), expected)
    pooled = torch.cat([a.mean((2, 3)), b.mean((2, 3))]).mean(0)
    assert not torch.allclose(pooled, expected)  # not the pooled mean
    with pytest.raises(ValueError, match='at least one batch'):
        displacement_mean([])


def test_bad_settings_are_refused():
    for kwargs in (dict(batch_size=0), dict(crop=True), dict(crop=2.5),
                   dict(max_batches=0), dict(num_workers=-1)):
        with pytest.raises(ValueError, match='must be an int >='):
            IRNMeanShiftHook(**kwargs)
    runner = SimpleNamespace(model=torch.nn.Conv2d(1, 1, 1))
    with pytest.raises(TypeError, match='head.mean_shift'):
        IRNMeanShiftHook().update(runner)


def toy_cfg(root, label_dir, work_dir, **hook):
    cfg = Config.fromfile(TOY_CFG)
    cfg.model = without_pretrained(cfg.model.to_dict())
    cfg.train_dataloader.update(
        batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.update(data_root=root, label_dir=label_dir)
    cfg.custom_hooks = [dict(type='IRNMeanShiftHook', **hook)]
    cfg.work_dir = str(work_dir)
    cfg.visualizer.name = f'vis_{work_dir}'
    return cfg


@pytest.fixture
def toy(toy_voc, tmp_path):
    label_dir = str(tmp_path / 'ir_label')
    shutil.copytree(osp.join(toy_voc, 'SegmentationClass'), label_dir)
    return toy_voc, label_dir


def crops(root, split='train'):
    """Hand-made official inputs: RGB, normalised, top-left in a zero
    CROP x CROP container, in the order of the id list."""
    ids_file = osp.join(root, 'ImageSets', 'Segmentation', f'{split}.txt')
    with open(ids_file) as f:
        ids = f.read().split()
    out = []
    for img_id in ids:
        img = cv2.imread(osp.join(root, 'JPEGImages', img_id + '.jpg'))
        img = (img[..., ::-1].astype(np.float64) - MEAN) / STD
        box = np.zeros((CROP, CROP, 3))
        h, w = min(CROP, img.shape[0]), min(CROP, img.shape[1])
        box[:h, :w] = img[:h, :w]
        out.append(torch.from_numpy(box.transpose(2, 0, 1)).float())
    return torch.stack(out)


def eval_means(model, x, batch):
    """Per-batch mean displacements of the eval output (drop_last)."""
    model.eval()
    with torch.no_grad():
        return torch.stack([
            model(x[i:i + batch], mode='tensor')[1].mean((0, 2, 3))
            for i in range(0, len(x) - batch + 1, batch)])


def model_and_runner(cfg):
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.init_weights()
    return model, SimpleNamespace(model=model, cfg=cfg)


def test_statistic_on_hand_made_crops(toy, tmp_path):
    root, label_dir = toy
    cfg = toy_cfg(root, label_dir, tmp_path)
    model, runner = model_and_runner(cfg)
    x = crops(root)  # 24 images: 5 batches of 5 minus the last 4
    buffer = model.head.mean_shift.running_mean
    buffer.fill_(3.0)  # a stale value must not leak into the statistic
    model.train()
    got = IRNMeanShiftHook(batch_size=5, crop=CROP).update(runner)
    assert model.training  # training mode restored
    assert got is buffer
    buffer_value = buffer.clone()
    buffer.zero_()
    raw = eval_means(model, x, 5)
    assert len(raw) == 4
    torch.testing.assert_close(buffer_value, raw.mean(0), rtol=1e-4,
                               atol=1e-6)
    assert buffer_value.abs().min() > 0
    # with the statistic, the eval displacement has zero mean on the crops
    buffer.copy_(buffer_value)
    torch.testing.assert_close(
        eval_means(model, x, 5).mean(0), torch.zeros(2), atol=1e-5,
        rtol=0)
    # max_batches and a dataset override (the val list)
    hook = IRNMeanShiftHook(
        batch_size=3, crop=CROP, max_batches=2,
        dataset=dict(split='val', label_source=None))
    val_stat = hook.update(runner).clone()
    buffer.zero_()
    torch.testing.assert_close(
        val_stat, eval_means(model, crops(root, 'val')[:6], 3).mean(0),
        rtol=1e-4, atol=1e-6)
    # the training-mode output ignores the buffer
    model.train()
    with torch.no_grad():
        without = model(x[:2], mode='tensor')[1]
        buffer.copy_(buffer_value)
        with_stat = model(x[:2], mode='tensor')[1]
    torch.testing.assert_close(with_stat, without, rtol=0, atol=0)


def test_no_full_batch_is_a_clear_error(toy, tmp_path):
    root, label_dir = toy
    _, runner = model_and_runner(toy_cfg(root, label_dir, tmp_path))
    with pytest.raises(InvalidInputError, match='lower batch_size'):
        IRNMeanShiftHook(batch_size=25, crop=CROP).update(runner)


def test_batches_split_over_ranks_give_the_one_process_value(
        toy, tmp_path, monkeypatch):
    root, label_dir = toy
    model, runner = model_and_runner(toy_cfg(root, label_dir, tmp_path))
    hook = IRNMeanShiftHook(batch_size=4, crop=CROP)  # 6 batches
    whole = hook.update(runner).clone()
    monkeypatch.setattr(dist, 'get_world_size', lambda: 4)
    totals = {}
    for rank in range(4):  # 2, 2, 1, 1 batches
        monkeypatch.setattr(dist, 'get_rank', lambda rank=rank: rank)
        monkeypatch.setattr(
            dist, 'all_reduce',
            lambda t, rank=rank: totals.update({rank: t.clone()}))
        hook.update(runner)
    assert [float(totals[r][2]) for r in range(4)] == [2, 2, 1, 1]
    reduced = sum(totals.values())
    monkeypatch.setattr(dist, 'all_reduce', lambda t: t.copy_(reduced))
    torch.testing.assert_close(hook.update(runner), whole, rtol=1e-5,
                               atol=1e-7)


def test_last_checkpoint_holds_the_statistic(toy, tmp_path):
    root, label_dir = toy
    cfg = toy_cfg(root, label_dir, tmp_path / 'work', batch_size=5,
                  crop=CROP)
    cfg.train_cfg.max_iters = 2
    cfg.param_scheduler[0].end = 2
    cfg.default_hooks.checkpoint = ConfigDict(
        type='CheckpointHook', by_epoch=False, interval=1, max_keep_ckpts=2)
    runner = build_runner(cfg)
    runner.train()
    model = runner.model
    stat = model.head.mean_shift.running_mean.clone()
    assert stat.abs().min() > 0
    saved = [torch.load(tmp_path / 'work' / f'iter_{i}.pth',
                        map_location='cpu', weights_only=False)['state_dict']
             for i in (1, 2)]
    key = 'head.mean_shift.running_mean'
    assert torch.equal(saved[0][key], torch.zeros(2))  # not the last one
    torch.testing.assert_close(saved[1][key], stat, rtol=0, atol=0)
    # the final weights: the statistic is the one of the saved network
    for name, value in model.state_dict().items():
        assert torch.equal(saved[1][name], value), name
    stat_of_saved = IRNMeanShiftHook(batch_size=5, crop=CROP).update(
        SimpleNamespace(model=model, cfg=cfg))
    torch.testing.assert_close(stat_of_saved, stat, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize('name, expected', [
    ('irn_r50_irn_voc.py', dict(batch_size=32, crop=512,
                                dataset=dict(split='train'))),
    ('irn_r50_rib_voc.py', dict(batch_size=32, crop=512,
                                dataset=dict(split='train'))),
    ('irn_r50tiny_toy.py', dict(batch_size=8, crop=96)),
])
def test_irn_configs_measure_the_statistic(name, expected):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'affinity', name))
    (hook, ) = [h for h in cfg.custom_hooks
                if h['type'] == 'IRNMeanShiftHook']
    assert {k: hook.get(k) for k in expected} == expected
    assert {h['type'] for h in cfg.custom_hooks} == {
        'FiniteLossCheckHook', 'IRNMeanShiftHook'}
