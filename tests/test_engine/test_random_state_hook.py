"""A run resumed from a checkpoint ends with the parameters of a run that
was never stopped: the random generators travel with the checkpoint."""
import os.path as osp
import random
import shutil

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner, load_checkpoint

from helpers import ROOT
from mmwsss.engine import build_runner
from mmwsss.engine.hooks.random_state_hook import (
    get_random_states,
    set_random_states,
)
from mmwsss.registry import MODELS

TOY_CFG = osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toy.py')


def test_states_round_trip_through_a_checkpoint(tmp_path):
    states = get_random_states()
    torch.save(dict(random_states=states), tmp_path / 'c.pth')
    draws = (random.random(), np.random.rand(3), torch.rand(3))
    loaded = torch.load(tmp_path / 'c.pth', weights_only=True)
    set_random_states(loaded['random_states'])
    again = (random.random(), np.random.rand(3), torch.rand(3))
    assert draws[0] == again[0]
    np.testing.assert_array_equal(draws[1], again[1])
    assert torch.equal(draws[2], again[2])


def toy_run_cfg(root, work_dir):
    cfg = Config.fromfile(TOY_CFG)
    cfg.merge_from_dict({
        'train_dataloader.dataset.data_root': root,
        'train_dataloader.batch_size': 4,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_cfg.max_iters': 4,
        'train_cfg.val_interval': 100,
        'default_hooks.checkpoint.interval': 2,
        'default_hooks.checkpoint.max_keep_ckpts': 3,
    })
    for key in ('val_dataloader', 'val_evaluator', 'val_cfg', 'stages'):
        cfg.pop(key, None)
    cfg.work_dir = str(work_dir)
    cfg.visualizer.name = f'vis_{work_dir}'  # one per run in this process
    return cfg


def final_params(cfg, path):
    model = MODELS.build(cfg.model)
    load_checkpoint(model, path, map_location='cpu')
    return model.state_dict()


def test_resumed_run_equals_uninterrupted(toy_voc, tmp_path):
    whole = tmp_path / 'whole'
    build_runner(toy_run_cfg(toy_voc, whole)).train()
    results = {}
    for hook in (True, False):
        resumed = tmp_path / f'resumed_{hook}'
        resumed.mkdir()
        # "killed" after the checkpoint of iteration 2
        shutil.copy(whole / 'iter_2.pth', resumed / 'iter_2.pth')
        (resumed / 'last_checkpoint').write_text(str(resumed / 'iter_2.pth'))
        cfg = toy_run_cfg(toy_voc, resumed)
        cfg.resume = True
        # build_runner adds RandomStateHook; a bare mmengine Runner has none
        (build_runner(cfg) if hook else Runner.from_cfg(cfg)).train()
        results[hook] = final_params(cfg, str(resumed / 'iter_4.pth'))
    expected = final_params(toy_run_cfg(toy_voc, whole), str(whole /
                                                             'iter_4.pth'))
    for key, value in expected.items():
        assert torch.equal(value, results[True][key]), key
    # without the generators the augmentations after the resume differ
    assert any(not torch.equal(value, results[False][key])
               for key, value in expected.items())
