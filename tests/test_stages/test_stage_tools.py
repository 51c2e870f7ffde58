"""The README's per-stage commands chain and equal ``run_pipeline.py``;
the refine stage survives a SIGKILL of the tool and its workers."""
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SLOW_CRF = dict(type='DenseCRFRefiner', n_iter=30)
ENV = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')


def command(tool, *args):
    return [sys.executable, osp.join(ROOT, 'tools', tool), *args]


def run(tool, *args):
    return subprocess.run(
        command(tool, *args),
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=600)


def folder_bytes(folder):
    return {
        name: open(osp.join(folder, name), 'rb').read()
        for name in sorted(os.listdir(folder))
    }


def report(work_dir):
    with open(osp.join(work_dir, 'report.json')) as f:
        return json.load(f)


@pytest.mark.slow
def test_per_stage_commands_equal_the_pipeline(toy_voc, tmp_path,
                                               toy_pipeline_cfg):
    cfg = toy_pipeline_cfg(toy_voc)
    cfg_path = str(tmp_path / 'toy.py')
    cfg.dump(cfg_path)
    staged, whole = str(tmp_path / 'staged'), str(tmp_path / 'whole')
    # the README's stage-by-stage commands, in order
    for tool, *args in (('run_stage.py', 'train'), ('infer_cams.py', ),
                        ('make_pseudo_labels.py', ), ('run_stage.py',
                                                      'segment')):
        res = run(tool, cfg_path, *args, '--work-dir', staged)
        assert res.returncode == 0, (tool, res.stderr[-3000:])
    res = run('run_pipeline.py', cfg_path, '--work-dir', whole)
    assert res.returncode == 0, res.stderr[-3000:]
    for stage, sub, count in (('cams', 'cams', 24), ('refine', 'pseudo',
                                                     24)):
        a = folder_bytes(osp.join(staged, stage, sub))
        b = folder_bytes(osp.join(whole, stage, sub))
        assert len(a) == count and a == b, stage
    one, two = report(staged)['stages'], report(whole)['stages']
    assert sorted(one) == sorted(two) == ['cams', 'refine', 'segment', 'train']
    for stage in one:
        assert one[stage]['metrics'] == two[stage]['metrics'], stage
        assert one[stage]['outputs'] == two[stage]['outputs'], stage
    # a stage whose upstream is unfinished stops with exit 2, no traceback
    res = run('run_stage.py', cfg_path, 'refine', '--work-dir',
              str(tmp_path / 'empty'))
    assert res.returncode == 2
    assert 'run it first: python tools/run_stage.py' in res.stderr
    assert 'Traceback' not in res.stderr


@pytest.mark.slow
def test_refine_stage_survives_sigkill(tmp_path, toy_voc, toy_pipeline_cfg,
                                       cam_helpers):
    """Kill the refine tool and its two workers mid-stage; the re-run
    resumes and writes the labels of an uninterrupted run."""
    toy_data_list, write_synthetic_cams = cam_helpers
    cfg = toy_pipeline_cfg(toy_voc, segment=False)
    cfg.stages.refine.refiner = SLOW_CRF
    cfg.stages.refine.nproc = 2
    cfg_path = str(tmp_path / 'toy.py')
    cfg.dump(cfg_path)
    work = str(tmp_path / 'work')
    res = run('infer_cams.py', cfg_path, '--work-dir', work)  # runs train?
    assert res.returncode == 2  # no: the train stage must come first
    res = run('run_pipeline.py', cfg_path, '--work-dir', work, '--stages',
              'cams')
    assert res.returncode == 0, res.stderr[-3000:]
    reference = str(tmp_path / 'reference')
    res = run('run_pipeline.py', cfg_path, '--work-dir', reference)
    assert res.returncode == 0, res.stderr[-3000:]

    out = osp.join(work, 'refine', 'pseudo')
    proc = subprocess.Popen(
        command('make_pseudo_labels.py', cfg_path, '--work-dir', work),
        cwd=ROOT,
        env=ENV,
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

    res = run('make_pseudo_labels.py', cfg_path, '--work-dir', work)
    assert res.returncode == 0, res.stderr[-3000:]
    assert report(work)['stages']['refine']['status'] == 'resumed'
    assert folder_bytes(out) == folder_bytes(
        osp.join(reference, 'refine', 'pseudo'))
    assert report(work)['stages']['refine']['metrics'] == report(
        reference)['stages']['refine']['metrics']
