"""tools/misc/publish_model.py (and tools/misc/print_config.py) on small
checkpoints written here in the layout of mmengine's Runner."""
import datetime
import hashlib
import os
import os.path as osp
import pathlib
import re

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer
from mmengine.runner import load_checkpoint

from helpers import ROOT, load_tool
from mmwsss.utils import InvalidInputError, MissingInputError

NAME_RE = re.compile(r'^(?P<stem>\w+)_(?P<time>\d{8}_\d{6})-'
                     r'(?P<hash>[0-9a-f]{8})\.pth$')


publish_model = load_tool('misc/publish_model.py', 'misc_publish_model')
print_config = load_tool('misc/print_config.py', 'misc_print_config')


def _model():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4),
        nn.Conv2d(4, 2, 1))


def write_training_checkpoint(path, plain_meta_only=False,
                              experiment_name=None):
    """A checkpoint laid out like ``Runner.save_checkpoint``'s."""
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 3, 8, 8)).sum().backward()
    optimizer.step()
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 10)
    meta = dict(
        cfg="model = dict(type='CAMClassifier')\n",
        seed=np.int64(5137),
        experiment_name=experiment_name,
        time='20250101_000000',
        mmengine_version='0.10.12',
        epoch=0,
        iter=8,
        dataset_meta=dict(
            classes=('cat', 'dog'), palette=[(0, 0, 0), (128, 0, 0)]),
        lr=np.float32(0.5))
    if experiment_name is None:
        del meta['experiment_name']
    if not plain_meta_only:
        meta.update(
            work_dir=pathlib.PurePosixPath('/tmp/work'),
            tags={'a', 'b'},
            stats=dict(count=3, array=np.zeros(2), keep='yes'),
            mixed=[1, pathlib.PurePosixPath('/x'), 'x'])
    ckpt = dict(
        meta=meta,
        state_dict=model.state_dict(),
        message_hub=dict(
            log_scalars={'train/loss': HistoryBuffer([1.0, 0.5], [1, 1])},
            runtime_info={'iter': 8}),
        optimizer=optimizer.state_dict(),
        param_schedulers=[scheduler.state_dict()])
    os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save(ckpt, path)
    return model


def _sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture
def training_ckpt(tmp_path):
    path = str(tmp_path / 'work_dirs' / 'gap_r38tiny_toy' / 'iter_8.pth')
    model = write_training_checkpoint(
        path, experiment_name='gap_r38tiny_toy_20250101_000000')
    return path, model


def test_publish_release_file(training_ckpt, tmp_path, capsys):
    src, model = training_ckpt
    out_dir = str(tmp_path / 'release')
    before = datetime.datetime.now(datetime.timezone.utc).replace(
        microsecond=0, tzinfo=None)
    report = publish_model.publish_report(src, out_dir)
    after = datetime.datetime.now(datetime.timezone.utc).replace(
        tzinfo=None)
    out = report['out']
    # the paths in meta are not on the weights_only allow-list
    assert 'unpickling it in full' in capsys.readouterr().err

    # name: default stem = work dir, UTC publishing time, hash of the file
    assert osp.dirname(out) == out_dir
    match = NAME_RE.match(osp.basename(out))
    assert match, osp.basename(out)
    assert match['stem'] == 'gap_r38tiny_toy'
    stamp = datetime.datetime.strptime(match['time'], '%Y%m%d_%H%M%S')
    assert before <= stamp <= after
    digest = _sha256(out)
    assert match['hash'] == digest[:8] and report['sha256'] == digest
    # nothing else written, no temporaries left behind
    assert os.listdir(out_dir) == [osp.basename(out)]
    assert report['log'] is None

    # loads without unpickling arbitrary objects
    release = torch.load(out, map_location='cpu', weights_only=True)
    assert set(release) == {'state_dict', 'meta'}
    expected = model.state_dict()
    assert list(release['state_dict']) == list(expected)
    for key, value in expected.items():
        assert torch.equal(release['state_dict'][key], value)
        assert release['state_dict'][key].device.type == 'cpu'

    meta = release['meta']
    assert meta['cfg'].startswith('model = ')
    assert meta['seed'] == 5137 and type(meta['seed']) is int
    assert type(meta['lr']) is float
    assert meta['iter'] == 8 and meta['epoch'] == 0
    assert meta['mmengine_version'] == '0.10.12'
    assert meta['dataset_meta'] == dict(
        classes=['cat', 'dog'], palette=[[0, 0, 0], [128, 0, 0]])
    assert meta['stats'] == dict(count=3, keep='yes')
    assert meta['mixed'] == [1, 'x']
    for key in ('work_dir', 'tags'):
        assert key not in meta
    assert meta['publish'] == dict(
        source='iter_8.pth', time=match['time'],
        tool='tools/misc/publish_model.py')
    assert set(report['dropped']) == {
        'message_hub', 'optimizer', 'param_schedulers', 'meta.work_dir',
        'meta.tags', 'meta.stats.array', 'meta.mixed[1]'
    }

    # and through mmengine into a fresh model, strictly
    fresh = nn.Sequential(
        nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4),
        nn.Conv2d(4, 2, 1))
    load_checkpoint(fresh, out, map_location='cpu', strict=True)
    for key, value in expected.items():
        assert torch.equal(fresh.state_dict()[key], value)


def test_publish_default_out_dir_stem_and_log(tmp_path, capsys):
    src = str(tmp_path / 'run' / 'iter_8.pth')
    write_training_checkpoint(src, plain_meta_only=True)
    log = tmp_path / 'scalars.json'
    log.write_text('{"loss": 0.5, "iter": 8}\n')
    assert publish_model.main([src, '--stem', 'aeft_gpp_r38_voc', '--log',
                               str(log)]) == 0
    captured = capsys.readouterr()
    out = captured.out.strip()
    assert osp.dirname(out) == osp.dirname(src)
    assert NAME_RE.match(osp.basename(out))['stem'] == 'aeft_gpp_r38_voc'
    log_copy = out[:-len('.pth')] + '.log.json'
    assert open(log_copy).read() == log.read_text()
    assert 'optimizer' in captured.err  # what was dropped
    # Runner-like content loads through the allow-list
    assert 'unpickling it in full' not in captured.err
    assert sorted(os.listdir(osp.dirname(src))) == sorted(
        ['iter_8.pth', osp.basename(out), osp.basename(log_copy)])
    release = torch.load(out, weights_only=True)
    assert release['meta']['seed'] == 5137


def test_default_stem(tmp_path):
    # tools/run_pipeline.py trains in work_dirs/<stem>/train: the config
    # stem comes from mmengine's experiment name
    src = str(tmp_path / 'gpp_r38tiny_toy' / 'train' / 'iter_8.pth')
    write_training_checkpoint(
        src, True, experiment_name='gpp_r38tiny_toy_20261122_123034')
    out = publish_model.publish(src, str(tmp_path / 'o'))
    assert NAME_RE.match(osp.basename(out))['stem'] == 'gpp_r38tiny_toy'
    # no experiment name: the folder
    src = str(tmp_path / 'gap_r38_voc' / 'iter_8.pth')
    write_training_checkpoint(src, True)
    out = publish_model.publish(src, str(tmp_path / 'o'))
    assert NAME_RE.match(osp.basename(out))['stem'] == 'gap_r38_voc'
    assert publish_model.default_stem(
        'a/b/c.pth', dict(experiment_name='no_timestamp')) == 'b'


def test_publish_fixed_timestamp(training_ckpt, tmp_path):
    src, _ = training_ckpt
    out = publish_model.publish(
        src, str(tmp_path / 'o'), timestamp='20240102_030405')
    assert osp.basename(out).startswith('gap_r38tiny_toy_20240102_030405-')
    with pytest.raises(InvalidInputError, match='YYYYMMDD_HHMMSS'):
        publish_model.publish(src, str(tmp_path / 'o'), timestamp='2024')


def test_publish_errors(tmp_path, training_ckpt, capsys):
    src, _ = training_ckpt
    missing = str(tmp_path / 'work_dirs' / 'x' / 'iter_1.pth')
    with pytest.raises(MissingInputError, match='iter_1.pth'):
        publish_model.publish(missing)
    with pytest.raises(SystemExit) as exc:
        publish_model.main([missing])
    assert exc.value.code == 2
    assert 'does not exist' in capsys.readouterr().err

    bare = tmp_path / 'weights' / 'bare.pth'
    bare.parent.mkdir()
    torch.save(_model().state_dict(), str(bare))
    with pytest.raises(InvalidInputError, match='state_dict'):
        publish_model.publish(str(bare))

    junk = tmp_path / 'weights' / 'junk.pth'
    junk.write_bytes(b'not a checkpoint')
    with pytest.raises(InvalidInputError, match='not a readable'):
        publish_model.publish(str(junk))

    with pytest.raises(InvalidInputError, match='--stem'):
        publish_model.publish(src, str(tmp_path / 'o'), stem='bad-stem')
    with pytest.raises(MissingInputError, match='log'):
        publish_model.publish(
            src, str(tmp_path / 'o'), log=str(tmp_path / 'nope.json'))
    # failed runs write nothing
    assert not (tmp_path / 'o').exists()
    assert sorted(os.listdir(tmp_path / 'weights')) == ['bare.pth',
                                                        'junk.pth']


def test_plain_meta():
    dropped = []
    value = dict(a=(1, 2.5, None, True), b={1: 'int key', 'c': {'d'}},
                 e=np.bool_(True), f=np.ones(3))
    assert publish_model.plain_meta(value, 'meta', dropped) == dict(
        a=[1, 2.5, None, True], b={}, e=True)
    assert dropped == ['meta.b.1', 'meta.b.c', 'meta.f']


def test_print_config(capsys, tmp_path):
    cfg = osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toy.py')
    out = tmp_path / 'merged.py'
    assert print_config.main(
        [cfg, '--cfg-options', 'train_cfg.max_iters=7', '--out',
         str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith('Config:\n')
    assert 'max_iters=7' in text
    assert "default_scope = 'mmwsss'" in text  # from the base
    assert 'max_iters=7' in out.read_text()
    with pytest.raises(SystemExit) as exc:
        print_config.main([str(tmp_path / 'nope.py')])
    assert exc.value.code == 2
