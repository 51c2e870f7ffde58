"""EvalModeFromIterHook: dropout (or the whole model) in eval mode from an
iteration on, kept across mmengine's ``model.train()`` calls."""
import logging
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.runner import Runner

from helpers import ROOT
from mmwsss.engine.hooks import EvalModeFromIterHook
from mmwsss.registry import HOOKS

AEFT_CFG = osp.join(ROOT, 'configs', 'affinity', 'affinitynet_r38_aeft_voc.py')


class DropoutNet(BaseModel):
    """conv -> BN -> Dropout2d -> conv; records the mode of its BN and
    dropout layers at every forward."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 1)
        self.bn = nn.BatchNorm2d(8)
        self.drop = nn.Sequential(nn.Dropout2d(0.5), nn.Dropout(0.5))
        self.out = nn.Conv2d(8, 1, 1)
        self.seen = []

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(inputs)
        self.seen.append((self.drop[0].training, self.drop[1].training,
                          self.bn.training))
        y = self.out(self.drop(self.bn(self.conv(inputs))))
        return dict(loss=y.square().mean()) if mode == 'loss' else y


def fake_runner(model, it):
    return SimpleNamespace(model=model, iter=it,
                           logger=logging.getLogger('eval_mode_hook_test'))


def two_passes_differ(model):
    torch.manual_seed(0)
    x = torch.randn(2, 3, 6, 6)
    with torch.no_grad():
        return not torch.equal(model(x), model(x))


@pytest.mark.parametrize('mode', ['dropout', 'eval'])
def test_train_mode_before_begin_eval_mode_from_begin(mode):
    model = DropoutNet()
    hook = EvalModeFromIterHook(begin=3, mode=mode)
    for it in range(3):
        model.train()
        hook.before_train_iter(fake_runner(model, it), batch_idx=it)
        assert all(m.training for m in model.modules())
        assert two_passes_differ(model)  # dropout is active
    for it in (3, 4, 50):
        model.train()  # as mmengine's loop does before every iteration
        hook.before_train_iter(fake_runner(model, it), batch_idx=it)
        assert not model.drop[0].training and not model.drop[1].training
        assert model.bn.training == (mode == 'dropout')
        assert model.conv.training == (mode == 'dropout')
        assert not two_passes_differ(model)


def test_dropout_mode_reaches_into_a_model_wrapper():
    model = DropoutNet()
    wrapped = nn.DataParallel(model)
    wrapped.train()
    EvalModeFromIterHook(begin=0).before_train_iter(
        fake_runner(wrapped, 0), batch_idx=0)
    assert not model.drop[0].training and not model.drop[1].training
    assert model.bn.training and wrapped.training


def test_a_resumed_run_is_in_eval_mode_at_once():
    """No state but the iteration: a fresh hook at an iteration past begin
    (a resumed run) switches the modules like the original one."""
    model = DropoutNet().train()
    EvalModeFromIterHook(begin=1600, mode='eval').before_train_iter(
        fake_runner(model, 2400), batch_idx=2400)
    assert not any(m.training for m in model.modules())


@pytest.mark.parametrize('kwargs, match', [
    (dict(begin=-1), 'begin'),
    (dict(begin=2.5), 'begin'),
    (dict(begin=True), 'begin'),
    (dict(begin='1600'), 'begin'),
    (dict(mode='train'), "mode must be one of \\('dropout', 'eval'\\)"),
    (dict(mode='Eval'), 'mode'),
])
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EvalModeFromIterHook(**kwargs)


@pytest.mark.parametrize('mode, bn_modes', [
    ('dropout', [True] * 5),
    ('eval', [True, True, False, False, False]),
])
def test_in_a_runner_the_mode_survives_the_loops_train_calls(
        tmp_path, mode, bn_modes):
    model = DropoutNet()
    data = [dict(inputs=torch.randn(3, 4, 4)) for _ in range(4)]
    runner = Runner(
        model=model,
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=data,
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=5),
        default_hooks=dict(logger=None, checkpoint=None),
        custom_hooks=[dict(type='EvalModeFromIterHook', begin=2, mode=mode)],
        visualizer=dict(type='Visualizer', name=f'vis_{tmp_path}'),
        default_scope='mmwsss')
    runner.train()
    drops = [d2 and d1 for d2, d1, _ in model.seen]
    assert drops == [True, True, False, False, False]
    assert [bn for _, _, bn in model.seen] == bn_modes


def test_aeft_config_trains_in_eval_mode_from_iteration_1600():
    cfg = Config.fromfile(AEFT_CFG)
    hooks = {h['type']: h for h in cfg.custom_hooks}
    assert 'FiniteLossCheckHook' in hooks  # the base config's hook is kept
    hook = HOOKS.build(hooks['EvalModeFromIterHook'])
    assert (hook.begin, hook.mode) == (1600, 'eval')
    assert hook.begin < cfg.train_cfg.max_iters
