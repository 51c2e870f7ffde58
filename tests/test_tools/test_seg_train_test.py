"""Stage 5 end to end: train the toy DeepLab-V2 for 2 iterations on the toy
VOC fixture (its ground truth as pseudo labels), then test the checkpoint
single-scale and with ``--tta`` (multi-scale + flip) + DenseCRF."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from helpers import ROOT

SEG_CFG = osp.join(ROOT, 'configs', 'deeplab', 'deeplabv2_r18_toy_pseudo.py')


def run_tool(*args):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    tool, *rest = args
    return subprocess.run([sys.executable, osp.join(ROOT, tool), *rest],
                          cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def seg_options(toy_voc, *extra):
    loader = ['num_workers=0', 'persistent_workers=False']
    return [
        '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1', 'train_dataloader.batch_size=4',
        'train_dataloader.dataset.data_prefix.seg_map_path='
        'SegmentationClass', *extra
    ] + [
        f'{split}_dataloader.{opt}'
        for split in ('train', 'val', 'test')
        for opt in [f'dataset.data_root={toy_voc}', *loader]
    ]


@pytest.mark.slow
def test_seg_train_then_test_plain_and_tta_crf(toy_voc, tmp_path):
    work_dir = str(tmp_path / 'work')
    res = run_tool('tools/train.py', SEG_CFG, '--work-dir', work_dir,
                   *seg_options(toy_voc))
    assert res.returncode == 0, res.stderr[-3000:]
    ckpt = osp.join(work_dir, 'iter_2.pth')
    assert osp.isfile(ckpt)
    (scalars, ) = glob.glob(
        osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(scalars) as f:
        rows = [json.loads(line) for line in f]
    assert any('decode.loss_ce' in row for row in rows)
    assert any(0 <= row.get('mIoU', -1) <= 100 for row in rows)

    # plain, then multi-scale + flip with DenseCRF (the --tta merge without
    # CRF is mmseg's own, compared in test_crf_seg_tta_model.py)
    for flags, extra in (([], []), (['--tta'], ['tta_model.crf.n_iter=1'])):
        res = run_tool('tools/test.py', SEG_CFG, ckpt, '--work-dir',
                       work_dir, *flags, *seg_options(toy_voc, *extra))
        assert res.returncode == 0, (flags, res.stderr[-3000:])
        assert 'mIoU' in res.stdout + res.stderr, flags
