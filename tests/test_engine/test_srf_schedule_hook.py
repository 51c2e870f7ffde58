"""SRFScheduleHook and an exact resume of an ACR run (both optimisers, both
schedulers, the SRF curriculum)."""
import glob
import json
import os.path as osp
import shutil
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from helpers import ROOT
from mmwsss.engine import build_runner, without_pretrained
from mmwsss.engine.hooks import SRFScheduleHook
from mmwsss.registry import MODELS

TOY_CFG = osp.join(ROOT, 'configs', 'acr', 'acr_r38tiny_pretrained_toy.py')


class WithEpoch(nn.Module):

    def __init__(self):
        super().__init__()
        self.srf_epoch = 0


@pytest.mark.parametrize('wrap', [False, True])
def test_epoch_is_the_iteration_over_the_epoch_length(wrap):
    model = WithEpoch()
    runner = SimpleNamespace(model=nn.DataParallel(model) if wrap else model)
    hook = SRFScheduleHook(iters_per_epoch=5)
    for it, epoch in ((0, 0), (4, 0), (5, 1), (12, 2), (400, 80)):
        runner.iter = it
        hook.before_train_iter(runner, batch_idx=it)
        assert model.srf_epoch == epoch


def test_bad_settings_are_refused():
    for bad in (0, -3, 2.5):
        with pytest.raises(ValueError, match='iters_per_epoch'):
            SRFScheduleHook(bad)
    runner = SimpleNamespace(model=nn.Conv2d(1, 1, 1), iter=0)
    with pytest.raises(TypeError, match='ACRClassifier'):
        SRFScheduleHook(3).before_train_iter(runner, batch_idx=0)


def acr_run_cfg(root, work_dir):
    """The ACR toy config, 4 iterations of batch 2 on the test toy set,
    one SRF epoch per iteration, SGD with momentum and a poly schedule, so
    that every piece of state matters after a resume."""
    cfg = Config.fromfile(TOY_CFG)
    cfg.merge_from_dict({
        'train_dataloader.dataset.data_root': root,
        'train_dataloader.batch_size': 2,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_cfg.max_iters': 4,
        'train_cfg.val_interval': 100,
        'default_hooks.checkpoint.interval': 2,
        'default_hooks.checkpoint.max_keep_ckpts': 3,
        'default_hooks.logger.interval': 1,
    })
    sgd = dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4)
    cfg.optim_wrapper.classifier.optimizer = sgd
    cfg.optim_wrapper.reconstructor.optimizer = sgd
    cfg.param_scheduler = [
        dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=4,
             by_epoch=False)
    ]
    cfg.custom_hooks = [dict(type='SRFScheduleHook', iters_per_epoch=1)]
    cfg.model = without_pretrained(cfg.model.to_dict())
    for key in ('val_dataloader', 'val_evaluator', 'val_cfg', 'stages'):
        cfg.pop(key, None)
    cfg.work_dir = str(work_dir)
    cfg.visualizer.name = f'vis_{work_dir}'  # one per run in this process
    return cfg


def srf_keeps(work_dir):
    """{iteration: logged q} of a run's scalars.json."""
    (path, ) = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        rows = [json.loads(line) for line in f]
    return {row['iter']: row['srf_keep'] for row in rows if 'srf_keep' in row}


def test_resumed_acr_run_equals_uninterrupted(toy_voc, tmp_path):
    whole = tmp_path / 'whole'
    runner = build_runner(acr_run_cfg(toy_voc, whole))
    runner.train()
    assert runner.model.srf_epoch == 3
    resumed = tmp_path / 'resumed'
    resumed.mkdir()
    # "killed" after the checkpoint of iteration 2
    shutil.copy(whole / 'iter_2.pth', resumed / 'iter_2.pth')
    (resumed / 'last_checkpoint').write_text(str(resumed / 'iter_2.pth'))
    cfg = acr_run_cfg(toy_voc, resumed)
    cfg.resume = True
    runner = build_runner(cfg)
    runner.train()
    assert runner.model.srf_epoch == 3
    assert srf_keeps(str(resumed)) == pytest.approx({3: 0.78, 4: 0.77})
    assert srf_keeps(str(whole)) == pytest.approx(
        {1: 0.8, 2: 0.79, 3: 0.78, 4: 0.77})

    ckpts = [torch.load(d / 'iter_4.pth', map_location='cpu',
                        weights_only=False) for d in (whole, resumed)]
    for name in ('classifier', 'reconstructor'):
        states = [c['optimizer'][name]['state'] for c in ckpts]
        assert states[0].keys() == states[1].keys() and states[0]
        for key in states[0]:
            assert torch.equal(states[0][key]['momentum_buffer'],
                               states[1][key]['momentum_buffer'])
        assert ckpts[0]['param_schedulers'][name] == \
            ckpts[1]['param_schedulers'][name]
    models = []
    for d in (whole, resumed):
        model = MODELS.build(cfg.model)
        load_checkpoint(model, str(d / 'iter_4.pth'), map_location='cpu')
        models.append(model.state_dict())
    assert any(k.startswith('reconstructor.decoder.') for k in models[0])
    for key, value in models[0].items():
        assert torch.equal(value, models[1][key]), key
