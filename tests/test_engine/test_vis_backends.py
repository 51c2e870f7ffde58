"""TensorBoard as an optional extra: the documented --cfg-options line and
config form give Local + TensorBoard backends, the default stays local,
and a missing tensorboard package stops with the install command."""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest

from helpers import ROOT, load_tool
from mmwsss.engine import load_run_config, vis_backends
from mmwsss.engine.vis_backends import CLI_EXAMPLE, prepare_vis_backends
from mmwsss.utils import InvalidInputError

TOY_CFG = osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toy.py')
BOTH = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
# the line of docs/en/user_guides/1_train_test.md and default_runtime.py
DOC_LINE = 'visualizer.vis_backends=[LocalVisBackend,TensorboardVisBackend]'


@pytest.fixture
def installed(monkeypatch):
    monkeypatch.setattr(vis_backends, 'tensorboard_installed', lambda: True)


def backends(cfg):
    return [dict(b) for b in cfg.visualizer.vis_backends]


def test_documented_cli_line_gives_both_backends(monkeypatch, installed):
    assert DOC_LINE in CLI_EXAMPLE
    train = load_tool('train.py')
    monkeypatch.setattr(sys, 'argv',
                        ['train.py', TOY_CFG, '--cfg-options', DOC_LINE])
    args = train.parse_args()  # the tool's own DictAction
    cfg = load_run_config(args.config, args.cfg_options)
    assert backends(prepare_vis_backends(cfg)) == BOTH


def test_config_form_and_local_default(tmp_path, installed):
    config = tmp_path / 'tb.py'
    config.write_text(
        f'_base_ = [{TOY_CFG!r}]\n'
        'visualizer = dict(vis_backends=[dict(type="LocalVisBackend"), '
        'dict(type="TensorboardVisBackend")])\n')
    assert backends(prepare_vis_backends(load_run_config(str(config)))) \
        == BOTH
    default = prepare_vis_backends(load_run_config(TOY_CFG))
    assert backends(default) == [dict(type='LocalVisBackend')]


def test_dict_strings_from_the_command_line_are_refused(installed):
    # DictAction cannot parse dicts: it keeps 'dict(type=...)' as a string
    cfg = load_run_config(TOY_CFG, {
        'visualizer.vis_backends': ['dict(type="TensorboardVisBackend")']
    })
    with pytest.raises(InvalidInputError, match='write type names') as err:
        prepare_vis_backends(cfg)
    assert DOC_LINE in str(err.value)


def test_missing_tensorboard_names_the_install(monkeypatch):
    monkeypatch.setattr(vis_backends, 'tensorboard_installed',
                        lambda: False)
    cfg = load_run_config(TOY_CFG, {'visualizer.vis_backends': BOTH})
    with pytest.raises(InvalidInputError,
                       match=r'pip install -e \.\[tensorboard\]'):
        prepare_vis_backends(cfg)
    # the local backend alone needs nothing
    prepare_vis_backends(load_run_config(TOY_CFG))


@pytest.mark.slow
def test_train_with_the_documented_line(toy_voc, tmp_path):
    """tools/train.py with the documented line: event files beside
    scalars.json when tensorboard is installed, else exit status 2 and the
    install command (the test suite does not install it)."""
    work_dir = str(tmp_path / 'w')
    options = [
        DOC_LINE, 'train_cfg.max_iters=1', 'train_cfg.val_interval=1',
        'default_hooks.logger.interval=1', 'train_dataloader.batch_size=2',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'val_dataloader.dataset.indices=2'
    ] + [
        f'{split}_dataloader.dataset.data_root={toy_voc}'
        for split in ('train', 'val', 'test')
    ]
    res = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'train.py'), TOY_CFG,
         '--work-dir', work_dir, '--cfg-options', *options],
        cwd=ROOT, env=dict(os.environ, OMP_NUM_THREADS='1'),
        capture_output=True, text=True, timeout=600)
    if vis_backends.tensorboard_installed():
        assert res.returncode == 0, res.stderr[-3000:]
        vis_data = osp.join(work_dir, '*', 'vis_data')
        assert glob.glob(osp.join(vis_data, 'events.out.tfevents.*'))
        assert glob.glob(osp.join(vis_data, 'scalars.json'))
    else:
        assert res.returncode == 2 and 'Traceback' not in res.stderr
        assert 'pip install -e .[tensorboard]' in res.stderr
