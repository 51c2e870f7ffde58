"""tools/train.py --amp and --sync-bn."""
import math
import os.path as osp
import sys

import pytest
import torch
from test_train_test import run_tool, scalars, toy_options

from helpers import ROOT, load_tool

TOY_CFG = osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toy.py')


def train_cfg(monkeypatch, tmp_path, *options):
    train = load_tool('train.py')
    monkeypatch.setattr(sys, 'argv', [
        'train.py', TOY_CFG, '--work-dir',
        str(tmp_path), *options
    ])
    return train.build_cfg(train.parse_args())


def test_amp_on_cpu_warns_and_trains_float32(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    plain = train_cfg(monkeypatch, tmp_path)
    with pytest.warns(UserWarning, match='--amp: no CUDA device'):
        amp = train_cfg(monkeypatch, tmp_path, '--amp')
    # the same run as without --amp
    assert amp.to_dict() == plain.to_dict()
    assert amp.optim_wrapper.type == 'OptimWrapper'


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason='mixed precision needs CUDA')
def test_amp_on_cuda_trains_with_amp_optim_wrapper(monkeypatch, tmp_path,
                                                   toy_voc):
    cfg = train_cfg(monkeypatch, tmp_path, '--amp')
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    work_dir = str(tmp_path / 'amp')
    res = run_tool('tools/train.py', TOY_CFG, '--work-dir', work_dir,
                   '--amp', *toy_options(toy_voc, 2))
    assert res.returncode == 0, res.stderr[-3000:]
    losses = [row['loss'] for row in scalars(work_dir) if 'loss' in row]
    assert losses and all(math.isfinite(v) for v in losses)


def test_sync_bn_switch(monkeypatch, tmp_path):
    assert 'sync_bn' not in train_cfg(monkeypatch, tmp_path)
    cfg = train_cfg(monkeypatch, tmp_path, '--sync-bn')
    assert cfg.sync_bn == 'torch'
