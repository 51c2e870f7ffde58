"""Every config loads, builds its model without weights and runs forward."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from helpers import ROOT
from mmwsss.engine import without_pretrained
from mmwsss.registry import MODELS

CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                         recursive=True) +
    glob.glob(osp.join(ROOT, 'projects', '*', 'configs', '*.py'))
    if '_base_' not in p)


def test_configs_found():
    assert any(p.endswith('gap_r38tiny_toy.py') for p in CONFIGS)


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.relpath(p, ROOT) for p in CONFIGS])
def test_config_builds_and_runs(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmwsss'
    for key in ('train_dataloader', 'val_dataloader', 'optim_wrapper',
                'train_cfg'):
        assert key in cfg, f'{path} lacks {key}'
    model_cfg = without_pretrained(cfg.model.to_dict())
    model = MODELS.build(model_cfg)
    model.init_weights()
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 64, 64), mode='tensor')
    # several outputs (e.g. IRNet's edge logits and displacements)
    for tensor in (out if isinstance(out, (tuple, list)) else (out, )):
        assert torch.isfinite(tensor).all()
