"""tools/train.py and tools/test.py end to end, in subprocesses."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from helpers import ROOT

TOY_CFG = osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toy.py')


def run_tool(*args, cwd=ROOT):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    tool, *rest = args
    return subprocess.run([sys.executable, osp.join(ROOT, tool), *rest],
                          cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def toy_options(toy_voc, max_iters):
    return [
        '--cfg-options', f'train_cfg.max_iters={max_iters}',
        'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1',
        f'train_dataloader.dataset.data_root={toy_voc}',
        f'val_dataloader.dataset.data_root={toy_voc}',
        f'test_dataloader.dataset.data_root={toy_voc}',
        'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'
    ]


def scalars(work_dir):
    (path, ) = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        return [json.loads(line) for line in f]


@pytest.mark.slow
def test_train_resume_and_test(toy_voc, tmp_path):
    work_dir = str(tmp_path / 'work')
    res = run_tool('tools/train.py', TOY_CFG, '--work-dir', work_dir,
                   *toy_options(toy_voc, 2))
    assert res.returncode == 0, res.stderr[-3000:]
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))
    logs = scalars(work_dir)
    assert any('multi-label/mAP' in row for row in logs)

    res = run_tool('tools/train.py', TOY_CFG, '--work-dir', work_dir,
                   '--resume', *toy_options(toy_voc, 4))
    assert res.returncode == 0, res.stderr[-3000:]
    out = res.stdout + res.stderr
    assert 'resumed' in out.lower() and 'iter_2.pth' in out
    assert osp.isfile(osp.join(work_dir, 'iter_4.pth'))
    whole = open(osp.join(work_dir, 'iter_4.pth'), 'rb').read()

    # killed while iter_4.pth was written: --resume passes over the
    # truncated file to the newest whole checkpoint, and says so
    with open(osp.join(work_dir, 'iter_4.pth'), 'r+b') as f:
        f.truncate(1000)
    res = run_tool('tools/train.py', TOY_CFG, '--work-dir', work_dir,
                   '--resume', *toy_options(toy_voc, 4))
    assert res.returncode == 0, res.stderr[-3000:]
    out = res.stdout + res.stderr
    assert 'incomplete or unreadable; resuming from' in out
    assert 'iter_2.pth' in out
    with open(osp.join(work_dir, 'iter_4.pth'), 'rb') as f:
        assert len(f.read()) == len(whole)  # written again, whole

    # nothing to resume: a clear message, exit 2
    res = run_tool('tools/train.py', TOY_CFG, '--work-dir',
                   str(tmp_path / 'empty'), '--resume',
                   *toy_options(toy_voc, 4))
    assert res.returncode == 2
    assert 'holds no intact checkpoint' in res.stderr
    assert 'Traceback' not in res.stderr

    out_file = str(tmp_path / 'preds.pkl')
    res = run_tool('tools/test.py', TOY_CFG,
                   osp.join(work_dir, 'iter_4.pth'), '--work-dir', work_dir,
                   '--out', out_file, *toy_options(toy_voc, 4))
    assert res.returncode == 0, res.stderr[-3000:]
    assert 'multi-label/mAP' in res.stdout + res.stderr
    assert osp.getsize(out_file) > 0


def test_missing_voc_data_gives_clear_message(tmp_path):
    res = run_tool('tools/train.py',
                   osp.join(ROOT, 'configs', 'baseline', 'gap_r38_voc.py'),
                   '--work-dir', str(tmp_path / 'w'), cwd=str(tmp_path))
    assert res.returncode == 2
    assert 'Traceback' not in res.stderr
    assert 'data/VOCdevkit/VOC2012' in res.stderr
    assert 'voc_aug.py' in res.stderr


def test_aeft_without_data_or_weights_says_what_to_fetch(tmp_path):
    config = osp.join(ROOT, 'configs', 'aeft', 'aeft_gpp_r38_voc.py')
    res = run_tool('tools/train.py', config, '--work-dir',
                   str(tmp_path / 'w'), cwd=str(tmp_path))
    assert res.returncode == 2 and 'Traceback' not in res.stderr
    assert 'voc_aug.py' in res.stderr
    os.makedirs(tmp_path / 'data' / 'VOCdevkit' / 'VOC2012')
    res = run_tool('tools/train.py', config, '--work-dir',
                   str(tmp_path / 'w'), cwd=str(tmp_path))
    assert res.returncode == 2 and 'Traceback' not in res.stderr
    assert 'pretrained/resnet38d_imagenet.pth' in res.stderr
    assert 'resnet38d_mxnet.py' in res.stderr
    assert not osp.isdir(tmp_path / 'w') or not os.listdir(tmp_path / 'w')


def test_missing_checkpoint_gives_clear_message(tmp_path):
    res = run_tool('tools/test.py', TOY_CFG, str(tmp_path / 'nope.pth'))
    assert res.returncode == 2
    assert 'Traceback' not in res.stderr and 'nope.pth' in res.stderr


@pytest.mark.slow
def test_cpu_data_parallel_training_with_gloo(toy_voc, tmp_path):
    """tools/dist_train.sh-style launch: 2 CPU processes, gloo, DDP."""
    work_dir = str(tmp_path / 'ddp')
    env = dict(os.environ, OMP_NUM_THREADS='1')
    res = subprocess.run([
        sys.executable, '-m', 'torch.distributed.run', '--standalone',
        '--nproc_per_node=2',
        osp.join(ROOT, 'tools', 'train.py'), TOY_CFG, '--launcher', 'pytorch',
        '--work-dir', work_dir, *toy_options(toy_voc, 2)
    ], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, (res.stdout + res.stderr)[-6000:]
    out = res.stdout + res.stderr
    assert 'Distributed training: True' in out
    assert "'backend': 'gloo'" in out or 'gloo' in out
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))


def test_test_tool_without_voc_data_gives_clear_message(tmp_path):
    """mmseg's PascalVOCDataset only asserts; tools/test.py names the
    missing folder and the converter first."""
    ckpt = tmp_path / 'model.pth'
    ckpt.write_bytes(b'')
    cfg = osp.join(ROOT, 'configs', 'deeplab', 'deeplabv2_r101_voc_pseudo.py')
    res = run_tool('tools/test.py', cfg, str(ckpt), cwd=str(tmp_path))
    assert res.returncode == 2
    assert 'Traceback' not in res.stderr
    assert 'data/VOCdevkit/VOC2012' in res.stderr and 'voc_aug.py' in \
        res.stderr
