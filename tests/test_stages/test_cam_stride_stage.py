"""CAMStage(stride=4) and --amp: smaller CAM files that refinement reads,
and mixed precision that leaves CPU outputs as they were."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from mmengine.config import Config

from helpers import load_tool
from mmwsss.apis import PipelineRunner
from mmwsss.fileio import read_label_png
from mmwsss.registry import MODELS
from mmwsss.stages import infer_cams
from mmwsss.utils import InvalidInputError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY_CFG = osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toy.py')
AGREEMENT = 0.9


def folder_bytes(folder):
    return {
        name: open(osp.join(folder, name), 'rb').read()
        for name in sorted(os.listdir(folder))
    }


@pytest.mark.slow
def test_stride_4_cams_are_smaller_and_refine(toy_voc, tmp_path,
                                              toy_pipeline_cfg):
    cfg = toy_pipeline_cfg(toy_voc, segment=False)
    cfg_path = str(tmp_path / 'toy.py')
    cfg.dump(cfg_path)
    work_dir = str(tmp_path / 'run')
    full = PipelineRunner(Config.fromfile(cfg_path), work_dir, 'toy').run()
    full_pseudo = str(tmp_path / 'full_pseudo')
    shutil.copytree(osp.join(work_dir, 'refine', 'pseudo'), full_pseudo)
    bytes_1 = full['stages']['cams']['metrics']['cam/bytes_per_image']

    # the CAM tool with --stride 4 re-runs the stage (a changed setting)
    infer = load_tool('infer_cams.py')
    report = infer.main([cfg_path, '--work-dir', work_dir, '--stride', '4'])
    cams = report['stages']['cams']
    assert cams['status'] == 'ran' and cams['count'] == 24
    bytes_4 = cams['metrics']['cam/bytes_per_image']
    # 1/16 of the values; the npz container adds about 0.7 kB a file
    assert bytes_4 < bytes_1 / 3
    for name in os.listdir(osp.join(work_dir, 'cams', 'cams')):
        with np.load(osp.join(work_dir, 'cams', 'cams', name)) as data:
            assert data['cams'].shape[1:] == (16, 16)  # 64 x 64 images
            assert int(data['stride']) == 4
    # refinement reads them (upsampled to the image size): nearly the
    # labels of the full-resolution CAMs
    strided = Config.fromfile(cfg_path)
    strided.stages.cams.stride = 4
    refined = PipelineRunner(strided, work_dir, 'toy').run(
        ['refine'], run_upstream=False)
    assert refined['stages']['refine']['status'] == 'ran'
    pseudo = osp.join(work_dir, 'refine', 'pseudo')
    names = sorted(os.listdir(full_pseudo))
    assert sorted(os.listdir(pseudo)) == names and len(names) == 24
    same = [
        read_label_png(osp.join(pseudo, n), 6) == read_label_png(
            osp.join(full_pseudo, n), 6) for n in names
    ]
    assert np.mean(same) > AGREEMENT


def test_infer_cams_tool_options():
    infer = load_tool('infer_cams.py')
    assert infer.stage_options(['c.py', '--stride', '4', '--amp']) == [
        'c.py', '--stage', 'cams', '--cfg-options', 'stages.cams.stride=4',
        'stages.cams.amp=True'
    ]
    assert infer.stage_options(['c.py', '--stage', 'cams2']) == [
        'c.py', '--stage', 'cams2'
    ]
    from mmwsss.stages import CAMStage
    with pytest.raises(InvalidInputError, match='stages.cams.stride'):
        CAMStage('cams', stride=0)


@pytest.fixture(scope='module')
def toy_model(toy_voc, tmp_path_factory):
    """(config, checkpoint) of a randomly initialised toy CAM model."""
    cfg = Config.fromfile(TOY_CFG)
    cfg.merge_from_dict({'test_dataloader.dataset.data_root': toy_voc})
    torch.manual_seed(0)
    ckpt = str(tmp_path_factory.mktemp('ckpt') / 'random.pth')
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict()}, ckpt)
    return cfg, ckpt


def test_amp_on_cpu_warns_and_changes_nothing(toy_model, tmp_path):
    cfg, ckpt = toy_model
    plain, amp = str(tmp_path / 'fp32'), str(tmp_path / 'amp')
    infer_cams(cfg, ckpt, plain, split='val', device='cpu', progress=False)
    with pytest.warns(UserWarning, match='amp: mixed precision needs CUDA'):
        infer_cams(cfg, ckpt, amp, split='val', device='cpu',
                   progress=False, amp=True)
    assert folder_bytes(plain) == folder_bytes(amp)


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason='mixed precision needs CUDA')
def test_amp_on_cuda_matches_float32(toy_model, tmp_path):
    cfg, ckpt = toy_model
    plain, amp = str(tmp_path / 'fp32'), str(tmp_path / 'amp')
    infer_cams(cfg, ckpt, plain, split='val', device='cuda', progress=False)
    infer_cams(cfg, ckpt, amp, split='val', device='cuda', progress=False,
               amp=True)
    from mmwsss.fileio import load_cams
    for name in os.listdir(plain):
        keys, a = load_cams(osp.join(plain, name))
        keys_amp, b = load_cams(osp.join(amp, name))
        assert keys.tolist() == keys_amp.tolist()
        assert np.abs(a - b).max() < 0.02
