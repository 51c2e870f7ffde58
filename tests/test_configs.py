"""Every config loads, builds its model without weights and runs forward."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmwsss.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                         recursive=True) +
    glob.glob(osp.join(ROOT, 'projects', '*', 'configs', '*.py'))
    if '_base_' not in p)


def null_pretrained(cfg):
    """Drop every Pretrained init_cfg / pretrained path (building never
    downloads, but init_weights() would read the files)."""
    if isinstance(cfg, dict):
        if cfg.get('type') == 'Pretrained':
            return None
        return {
            k: None if k == 'pretrained' else null_pretrained(v)
            for k, v in cfg.items()
        }
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(null_pretrained(v) for v in cfg)
    return cfg


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
    model_cfg = null_pretrained(cfg.model.to_dict())
    model = MODELS.build(model_cfg)
    model.init_weights()
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 64, 64), mode='tensor')
    assert torch.isfinite(out).all()
