"""tools/test.py --show-dir / --show on the toy fixture: CAM overlays of a
CAM config, mmseg overlays of a segmentation config, and the fallback to
files without a display."""
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from helpers import ROOT
from mmwsss.registry import MODELS

CAM_CFG = osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toy.py')
SEG_CFG = osp.join(ROOT, 'configs', 'deeplab', 'deeplabv2_r18_toy_pseudo.py')


def fresh_checkpoint(config, path):
    """The config's model with freshly initialised weights, saved as a
    checkpoint (what tools/test.py loads)."""
    model = MODELS.build(Config.fromfile(config).model)
    model.init_weights()
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return str(path)


def run_test(config, checkpoint, toy_voc, *flags):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env.pop('DISPLAY', None)
    env.pop('WAYLAND_DISPLAY', None)
    env['MPLBACKEND'] = 'Agg'  # no display
    options = [
        f'test_dataloader.dataset.data_root={toy_voc}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'test_dataloader.dataset.indices=2'
    ]
    return subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'test.py'), config,
         checkpoint, *flags, '--cfg-options', *options],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_show_dir_draws_cams_of_a_cam_config(toy_voc, tmp_path):
    ckpt = fresh_checkpoint(CAM_CFG, tmp_path / 'cam.pth')
    show_dir = tmp_path / 'overlays'
    res = run_test(CAM_CFG, ckpt, toy_voc, '--work-dir',
                   str(tmp_path / 'w'), '--show-dir', str(show_dir))
    assert res.returncode == 0, res.stderr[-3000:]
    out = res.stdout + res.stderr
    assert f'2 prediction overlays written to {show_dir}' in out
    assert sorted(os.listdir(show_dir)) == ['toy_000024.png',
                                            'toy_000025.png']
    drawn = np.array(Image.open(show_dir / 'toy_000024.png'))
    # image | a CAM per predicted class | GT (64 px tiles, 4 px gaps),
    # 14-px titles and a legend below
    assert drawn.shape[1] in {64 * n + 4 * (n - 1) for n in range(2, 9)}
    assert drawn.shape[0] > 64 + 14


@pytest.mark.slow
def test_show_without_display_writes_seg_overlays(toy_voc, tmp_path):
    ckpt = fresh_checkpoint(SEG_CFG, tmp_path / 'seg.pth')
    work_dir = tmp_path / 'w'
    res = run_test(SEG_CFG, ckpt, toy_voc, '--work-dir', str(work_dir),
                   '--show')
    assert res.returncode == 0, res.stderr[-3000:]
    show_dir = work_dir / 'show'
    assert ('--show: no display here (DISPLAY unset or MPLBACKEND=Agg), '
            f'so nothing can be shown; the overlays are written to '
            f'{show_dir} instead.') in res.stderr
    assert sorted(os.listdir(show_dir)) == ['toy_000024.png',
                                            'toy_000025.png']
    # mmseg's drawing: image | ground truth | prediction
    assert np.array(Image.open(show_dir / 'toy_000025.png')).shape == (
        64, 3 * 64, 3)
