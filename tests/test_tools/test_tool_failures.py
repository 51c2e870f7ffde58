"""tools/train.py and tools/test.py when the disk fills up or the data is
bad: a clear message naming the file and the fix, exit status 2, no
traceback, nothing already written lost. The tools run in this process
(their ``main()``), so the disk can be made to fill up."""
import builtins
import errno
import glob
import os
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config

from helpers import ROOT, load_tool
from mmwsss import fileio
from mmwsss.datasets.toy_voc import make_toy_voc
from mmwsss.engine import without_pretrained
from mmwsss.engine.checkpoints import checkpoint_ok
from mmwsss.registry import MODELS

TOY_CFG = osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toy.py')
SEG_CFG = osp.join(ROOT, 'configs', 'deeplab', 'deeplabv2_r18_toy_pseudo.py')


@pytest.fixture
def small_toy(tmp_path):
    """8 train and 2 val images of 32x32 (this test's own: it damages
    them)."""
    return make_toy_voc(
        str(tmp_path / 'toy'), seed=0, num_train=8, num_val=2, size=32)


def loader_options(root, num_workers=0):
    return [
        f'{split}_dataloader.{key}'
        for split in ('train', 'val', 'test') for key in (
            f'dataset.data_root={root}', f'num_workers={num_workers}',
            'persistent_workers=False')
    ]


def run_tool(name, args, monkeypatch, capsys):
    """``tools/<name>`` main() in this process: (exit status, stderr)."""
    tool = load_tool(name)
    monkeypatch.setenv('LOCAL_RANK', '0')
    monkeypatch.setattr(sys, 'argv', [name, *args])
    capsys.readouterr()
    try:
        tool.main()
        code = 0
    except SystemExit as e:
        code = e.code
    return code, capsys.readouterr().err


def train_args(root, work_dir, max_iters, *extra, num_workers=0):
    return [
        TOY_CFG, '--work-dir', work_dir, *extra, '--cfg-options',
        f'train_cfg.max_iters={max_iters}', 'train_cfg.val_interval=100',
        'default_hooks.checkpoint.interval=2', 'train_dataloader.batch_size=4',
        *loader_options(root, num_workers)
    ]


class FullDisk:
    """A file that takes half of what is written to it, then reports a
    full disk."""

    def __init__(self, f, name):
        self.f, self.name = f, name

    def write(self, data):
        self.f.write(bytes(data)[:len(data) // 2])
        self.f.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self.name)

    def __getattr__(self, key):
        return getattr(self.f, key)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def test_disk_full_while_a_checkpoint_is_written(small_toy, tmp_path,
                                                 monkeypatch, capsys):
    """The write of iter_4.pth fails halfway: no iter_4.pth and no
    temporary is left, iter_2.pth and last_checkpoint are intact, the tool
    exits 2 with the disk-full message, and --resume finishes the run."""
    work_dir = str(tmp_path / 'work')
    real_open = builtins.open

    def open_on_a_full_disk(file, mode='r', *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        if 'w' in mode and 'iter_4.pth' in osp.basename(str(file)):
            return FullDisk(f, str(file))
        return f

    monkeypatch.setattr(builtins, 'open', open_on_a_full_disk)
    code, err = run_tool('train.py', train_args(small_toy, work_dir, 4),
                         monkeypatch, capsys)
    monkeypatch.setattr(builtins, 'open', real_open)
    assert code == 2, err[-3000:]
    assert (f'No space left on device: {osp.join(work_dir, "iter_4.pth")}'
            in err)
    assert 'finished outputs are kept' in err and 'Traceback' not in err
    # neither iter_4.pth nor its temporary .iter_4.pth.<pid>.tmp
    assert [n for n in os.listdir(work_dir) if 'iter_4' in n] == []
    assert checkpoint_ok(osp.join(work_dir, 'iter_2.pth'))
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert osp.basename(f.read().strip()) == 'iter_2.pth'

    code, err = run_tool('train.py',
                         train_args(small_toy, work_dir, 4, '--resume'),
                         monkeypatch, capsys)
    assert code == 0, err[-3000:]
    assert checkpoint_ok(osp.join(work_dir, 'iter_4.pth'))


def test_image_truncated_under_a_dataloader_worker(small_toy, tmp_path,
                                                   monkeypatch, capsys):
    """No pre-check in tools/train.py: a worker process meets the broken
    JPEG; the tool prints the loader's message, not the worker's
    traceback."""
    victim = sorted(glob.glob(osp.join(small_toy, 'JPEGImages', '*.jpg')))[2]
    with open(victim, 'r+b') as f:
        f.truncate(200)
    # 8 images, batches of 4: every image is drawn in 2 iterations
    code, err = run_tool(
        'train.py',
        train_args(small_toy, str(tmp_path / 'work'), 2, num_workers=1),
        monkeypatch, capsys)
    assert code == 2, err[-3000:]
    assert f'error: Image {victim} cannot be decoded' in err
    assert "on_bad_sample='skip'" in err
    assert 'Traceback' not in err and 'DataLoader worker' not in err


def test_label_of_another_size_in_the_test_tool(small_toy, tmp_path,
                                                 monkeypatch, capsys):
    """mmseg would stop with an IndexError in IoUMetric; the test tool
    names the label map, its image and the fix."""
    val_ids = fileio.read_split(
        osp.join(small_toy, 'ImageSets', 'Segmentation', 'val.txt'))
    label = osp.join(small_toy, 'SegmentationClass', f'{val_ids[1]}.png')
    fileio.save_label_png(label, np.zeros((30, 32), np.uint8))
    cfg = Config.fromfile(SEG_CFG)
    checkpoint = str(tmp_path / 'model.pth')
    torch.save(
        dict(state_dict=MODELS.build(without_pretrained(
            cfg.model)).state_dict()), checkpoint)
    code, err = run_tool(
        'test.py', [
            SEG_CFG, checkpoint, '--work-dir', str(tmp_path / 'test'),
            '--cfg-options', *loader_options(small_toy)
        ], monkeypatch, capsys)
    assert code == 2, err[-3000:]
    image = osp.join(small_toy, 'JPEGImages', f'{val_ids[1]}.jpg')
    assert f'Label map {label} is 32x30 but its image {image} is 32x32' \
        in err
    assert 'regenerate that label map' in err and 'CAM' not in err
    assert 'Traceback' not in err
