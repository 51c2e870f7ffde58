"""Every training config states its effective (total) batch and how it
splits: ``auto_scale_lr = dict(enable=False, base_batch_size=N)`` and a
comment ``# Effective batch: N = G GPU(s) × B`` in the config or the config
it inherits from, with B the per-GPU ``train_dataloader.batch_size``."""
import ast
import glob
import os.path as osp
import re

import pytest
from mmengine.config import Config

from helpers import ROOT

STATEMENT = re.compile(
    r'#\s*Effective batch:\s*(\d+)\s*=\s*(\d+)\s*GPUs?\s*[×x]\s*(\d+)')


def training_configs():
    paths = sorted(glob.glob(osp.join(ROOT, 'configs', '*', '*.py')))
    return [
        osp.relpath(p, ROOT) for p in paths
        if osp.basename(osp.dirname(p)) != '_base_'
    ]


def bases(path):
    """The ``_base_`` files of a config, resolved."""
    tree = ast.parse(open(path, encoding='utf-8').read())
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], 'id', None) == '_base_'):
            value = ast.literal_eval(node.value)
            value = [value] if isinstance(value, str) else value
            return [osp.normpath(osp.join(osp.dirname(path), v))
                    for v in value]
    return []


def batch_statement(path):
    """(N, G, B) of the first statement in the config or its bases."""
    found = STATEMENT.findall(open(path, encoding='utf-8').read())
    if found:
        assert len(found) == 1, f'{path}: more than one statement'
        return tuple(int(v) for v in found[0])
    for base in bases(path):
        statement = batch_statement(base)
        if statement:
            return statement
    return None


@pytest.mark.parametrize('config', training_configs())
def test_config_states_its_effective_batch(config):
    cfg = Config.fromfile(osp.join(ROOT, config))
    if 'train_dataloader' not in cfg or 'train_cfg' not in cfg:
        pytest.skip(f'{config} is not a training config')
    scale = cfg.get('auto_scale_lr')
    assert scale is not None, (
        f'{config}: add auto_scale_lr = dict(enable=False, '
        'base_batch_size=N) and a comment "# Effective batch: N = G GPUs × '
        'B"')
    # the official recipes fix the learning rate
    assert scale.get('enable') is False, config
    statement = batch_statement(osp.join(ROOT, config))
    assert statement is not None, \
        f'{config}: no "# Effective batch: N = G GPUs × B" comment'
    total, gpus, per_gpu = statement
    assert total == gpus * per_gpu, (config, statement)
    assert scale['base_batch_size'] == total, (config, statement)
    assert cfg.train_dataloader.batch_size == per_gpu, (config, statement)
