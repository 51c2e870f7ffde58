"""tools/run_pipeline.py under torchrun: 2 CPU processes (gloo) write the
CAMs and pseudo labels of 1 process, byte for byte, with the same
metrics; a run interrupted with 2 processes resumes with 1; the training
stage runs DDP and rank 0 alone writes its manifest."""
import glob
import json
import os
import os.path as osp
import shutil
import socket
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ENV = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
TOOL = osp.join(ROOT, 'tools', 'run_pipeline.py')


def one_process(cfg_path, work_dir, *args):
    return subprocess.run([sys.executable, TOOL, cfg_path, '--work-dir',
                           work_dir, *args],
                          cwd=ROOT, env=ENV, capture_output=True, text=True,
                          timeout=300)


def two_processes(cfg_path, work_dir, *args):
    return subprocess.run([
        sys.executable, '-m', 'torch.distributed.run', '--standalone',
        '--nproc_per_node=2', TOOL, cfg_path, '--work-dir', work_dir,
        '--launcher', 'pytorch', *args
    ], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)


def folder_bytes(folder):
    return {
        name: open(osp.join(folder, name), 'rb').read()
        for name in sorted(os.listdir(folder))
    }


def report(work_dir):
    with open(osp.join(work_dir, 'report.json')) as f:
        return json.load(f)['stages']


def mark_interrupted(stage_dir):
    """The manifest an interrupted run leaves: started, not done."""
    path = osp.join(stage_dir, 'manifest.json')
    with open(path) as f:
        record = json.load(f)
    keep = ('stage', 'settings_hash', 'input_hash', 'settings')
    with open(path, 'w') as f:
        json.dump(dict({k: record[k] for k in keep}, done=False), f)


@pytest.fixture
def crf_cfg(toy_voc, tmp_path, toy_pipeline_cfg):
    """train -> cams -> refine (DenseCRF, one worker) on the toy set."""
    cfg = toy_pipeline_cfg(toy_voc, segment=False)
    cfg.stages.refine.refiner = dict(type='DenseCRFRefiner', bg_power=1.0)
    cfg.report_figures = False
    path = str(tmp_path / 'toy.py')
    cfg.dump(path)
    return path


@pytest.mark.slow
def test_two_processes_write_the_files_of_one(crf_cfg, tmp_path, toy_train):
    one, two = str(tmp_path / 'one'), str(tmp_path / 'two')
    res = one_process(crf_cfg, one)
    assert res.returncode == 0, res.stderr[-3000:]
    # DDP at the same per-process batch is another training run: the
    # 2-process run reuses the trained classifier
    shutil.copytree(osp.join(one, 'train'), osp.join(two, 'train'))
    res = two_processes(crf_cfg, two)
    assert res.returncode == 0, (res.stdout + res.stderr)[-6000:]
    first, second = report(one), report(two)
    assert {k: v['status'] for k, v in second.items()} == dict(
        train='skipped', cams='ran', refine='ran')
    # the npz zip entries carry a fixed date, so whole files compare
    for stage, sub in (('cams', 'cams'), ('refine', 'pseudo')):
        a = folder_bytes(osp.join(one, stage, sub))
        b = folder_bytes(osp.join(two, stage, sub))
        assert len(a) == 24 and a == b, stage
        assert first[stage]['metrics'] == second[stage]['metrics'], stage
        assert first[stage]['count'] == second[stage]['count'] == 24
        assert first[stage]['outputs'] == second[stage]['outputs']
        # the metrics' gathering folder is gone
        assert sorted(os.listdir(osp.join(two, stage))) == sorted(
            ['manifest.json', sub])
    # rank 0 alone logs the stages and prints the report
    assert res.stdout.count('# Pipeline report') == 1
    assert (res.stdout + res.stderr).count('[cams] running') == 1
    assert not osp.exists(osp.join(two, '.lock'))

    # a 2-process run stopped midway: rank 1's CAMs and rank 0's labels
    # missing, both stages started but not done; 1 process resumes it
    ids = [info['img_id'] for info in toy_train]
    cam_dir = osp.join(two, 'cams', 'cams')
    label_dir = osp.join(two, 'refine', 'pseudo')
    for img_id in ids[1::2]:
        os.remove(osp.join(cam_dir, f'{img_id}.npz'))
    for img_id in ids[0::2]:
        os.remove(osp.join(label_dir, f'{img_id}.png'))
    mark_interrupted(osp.join(two, 'cams'))
    mark_interrupted(osp.join(two, 'refine'))
    kept = {
        path: os.stat(path).st_mtime_ns
        for path in [osp.join(cam_dir, f'{i}.npz') for i in ids[0::2]] +
        [osp.join(label_dir, f'{i}.png') for i in ids[1::2]]
    }
    res = one_process(crf_cfg, two)
    assert res.returncode == 0, res.stderr[-3000:]
    resumed = report(two)
    assert resumed['cams']['status'] == resumed['refine']['status'] == \
        'resumed'
    for path, mtime in kept.items():  # kept, not redone
        assert os.stat(path).st_mtime_ns == mtime, path
    for stage, sub in (('cams', 'cams'), ('refine', 'pseudo')):
        assert folder_bytes(osp.join(one, stage, sub)) == folder_bytes(
            osp.join(two, stage, sub)), stage
        assert resumed[stage]['metrics'] == first[stage]['metrics'], stage


@pytest.mark.slow
def test_two_process_training_stage(crf_cfg, tmp_path):
    work_dir = str(tmp_path / 'ddp')
    # a work dir in use by another run (this live process): every rank
    # stops with rank 0's message instead of waiting for it
    os.makedirs(work_dir)
    with open(osp.join(work_dir, '.lock'), 'w') as f:
        f.write(f'{os.getpid()} {socket.gethostname()}\n')
    res = two_processes(crf_cfg, work_dir, '--stages', 'train')
    assert res.returncode != 0
    assert res.stderr.count('is in use by another run') == 2
    assert '[rank0]: Traceback' not in res.stderr  # a user error
    os.remove(osp.join(work_dir, '.lock'))

    res = two_processes(crf_cfg, work_dir, '--stages', 'train')
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-6000:]
    assert 'Distributed training: True' in out
    assert out.count('[train] running') == 1
    assert glob.glob(osp.join(work_dir, '*', 'manifest.json')) == [
        osp.join(work_dir, 'train', 'manifest.json')
    ]
    with open(osp.join(work_dir, 'train', 'manifest.json')) as f:
        manifest = json.load(f)
    assert manifest['done'] and manifest['iterations'] == 2
    # 2 iterations of 4 images in each of the 2 processes
    assert manifest['count'] == 16
    assert osp.isfile(osp.join(work_dir, manifest['outputs']['checkpoint']))
    assert report(work_dir)['train']['status'] == 'ran'
