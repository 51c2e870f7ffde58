"""tools/infer_cams.py and tools/make_pseudo_labels.py in subprocesses,
including a SIGKILL in the middle of a run."""
import importlib.util
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch
from mmengine.config import Config

from mmwsss.stages import make_pseudo_labels
from mmwsss.datasets.toy_voc import make_toy_voc
from mmwsss.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY_CFG = osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toy.py')
SLOW_CRF = dict(type='DenseCRFRefiner', n_iter=30)


def load_tool(name):
    """The tool's module, to call its ``main(argv)`` in-process."""
    spec = importlib.util.spec_from_file_location(
        f'tool_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def command(tool, *args):
    return [sys.executable, osp.join(ROOT, 'tools', tool), *args]


def run(tool, *args):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run(
        command(tool, *args),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)


def folder_bytes(folder):
    return {
        name: open(osp.join(folder, name), 'rb').read()
        for name in sorted(os.listdir(folder))
    }


@pytest.mark.slow
def test_infer_cams_tool(toy_voc, tmp_path, capsys):
    cfg = Config.fromfile(TOY_CFG)
    cfg.model.cam_cfg.flip = False
    ckpt = str(tmp_path / 'random.pth')
    torch.manual_seed(0)
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict()}, ckpt)
    out = str(tmp_path / 'work' / 'cams')
    options = [
        '--cfg-options', f'test_dataloader.dataset.data_root={toy_voc}',
        'model.cam_cfg.flip=False'
    ]
    res = run('infer_cams.py', TOY_CFG, ckpt, '--split', 'val', '--out-dir',
              out, '--batch-size', '4', *options)
    assert res.returncode == 0, res.stderr[-3000:]
    assert len(os.listdir(out)) == 8
    with open(tmp_path / 'work' / 'cam_metrics.json') as f:
        metrics = json.load(f)
    assert metrics['cam/num_images'] == 8 and 'cam/mIoU_best' in metrics
    with pytest.raises(SystemExit) as error:
        load_tool('infer_cams').main(
            [TOY_CFG,
             str(tmp_path / 'no.pth'), '--out-dir', out, *options])
    assert error.value.code == 2
    assert 'no.pth does not exist' in capsys.readouterr().err


@pytest.mark.slow
def test_make_pseudo_labels_survives_sigkill(tmp_path, cam_helpers):
    toy_data_list, write_synthetic_cams = cam_helpers
    root = make_toy_voc(
        str(tmp_path / 'toy'), seed=1, num_train=24, num_val=1, size=96)
    data_list = toy_data_list(root)
    cams = str(tmp_path / 'cams')
    write_synthetic_cams(data_list, cams)
    reference = str(tmp_path / 'reference')
    make_pseudo_labels(data_list, cams, reference, SLOW_CRF, progress=False)

    out = str(tmp_path / 'work' / 'pseudo')
    args = command('make_pseudo_labels.py', TOY_CFG, '--cams', cams,
                   '--out-dir', out, '--split', 'train', '--nproc', '2',
                   '--refiner-json', json.dumps(SLOW_CRF), '--cfg-options',
                   f'test_dataloader.dataset.data_root={root}')
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if osp.isdir(out) and sum(n.endswith('.png')
                                  for n in os.listdir(out)) >= 2:
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # the tool and its pool workers
    proc.wait()
    done = [n for n in os.listdir(out) if n.endswith('.png')]
    assert 2 <= len(done) < 24, 'the run was not interrupted midway'
    open(osp.join(out, '.toy_000005.png.99999.tmp'), 'wb').close()

    load_tool('make_pseudo_labels').main(args[2:])  # resume in-process
    assert folder_bytes(out) == folder_bytes(reference)
    with open(tmp_path / 'work' / 'pseudo_metrics.json') as f:
        metrics = json.load(f)
    assert metrics['refiner'] == SLOW_CRF
    assert metrics['pseudo/num_images'] == 24
