"""tools/run_pipeline.py: stages 1-5 on the toy fixture, caching, resuming."""
import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import time

import pytest
from mmengine.config import Config

from mmwsss.apis import PipelineRunner
from mmwsss.stages.report import render_markdown
from mmwsss.stages.stage_manifest import StageManifest
from mmwsss.utils import InvalidInputError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def statuses(report):
    return {name: stage['status'] for name, stage in report['stages'].items()}


@pytest.mark.slow
def test_all_stages_then_cache_then_changed_setting(toy_voc, tmp_path,
                                                   toy_pipeline_cfg):
    work_dir = str(tmp_path / 'run')
    report = PipelineRunner(toy_pipeline_cfg(toy_voc), work_dir, 'toy').run()
    assert statuses(report) == dict(
        train='ran', cams='ran', refine='ran', segment='ran')
    stages = report['stages']
    assert stages['cams']['count'] == 24 and stages['refine']['count'] == 24
    assert 'cam/mIoU_best' in stages['cams']['metrics']
    assert 'cam/F_best' in stages['cams']['metrics']
    assert 'pseudo/mIoU' in stages['refine']['metrics']
    assert 'single/mIoU' in stages['segment']['metrics']
    assert 'ms_flip/mIoU' in stages['segment']['metrics']
    assert 'ms_flip_crf/mIoU' in stages['segment']['metrics']
    # J&F at the CAM, pseudo-label and final stages
    assert 'cam/J&F_best' in stages['cams']['metrics']
    assert 'pseudo/J&F' in stages['refine']['metrics']
    for column in ('single', 'ms_flip', 'ms_flip_crf'):
        assert f'{column}/boundary/J&F' in stages['segment']['metrics']
    assert isinstance(stages['segment']['metrics']['single/mIoU'], float)
    assert 'multi-label/mAP' in stages['train']['metrics']
    for name in ('train', 'cams', 'refine', 'segment'):
        with open(osp.join(work_dir, name, 'manifest.json')) as f:
            manifest = json.load(f)
        assert manifest['done'] and manifest['wall_time_s'] > 0
    with open(osp.join(work_dir, 'report.json')) as f:
        on_disk = json.load(f)
    assert on_disk['versions']['torch'] and on_disk['seed'] == 0
    with open(osp.join(work_dir, 'report.md')) as f:
        assert '| cams | ran | 24 |' in f.read()
    pngs = sorted(os.listdir(osp.join(work_dir, 'refine', 'pseudo')))
    assert len(pngs) == 24

    # unchanged: everything is skipped, results come from the manifests
    again = PipelineRunner(toy_pipeline_cfg(toy_voc), work_dir, 'toy').run()
    assert set(statuses(again).values()) == {'skipped'}
    assert again['stages']['refine']['metrics'] == stages['refine']['metrics']

    # a changed refiner re-runs pseudo and segment only
    cfg = toy_pipeline_cfg(toy_voc)
    cfg.stages.refine.refiner.bg_threshold = 0.3
    changed = PipelineRunner(cfg, work_dir, 'toy').run()
    assert statuses(changed) == dict(
        train='skipped', cams='skipped', refine='ran', segment='ran')


def test_manifest_states(tmp_path):
    stage_dir = str(tmp_path / 'cams')
    manifest = StageManifest(stage_dir, 'cams', dict(a=1), 'in')
    assert manifest.status() == 'new'
    assert manifest.begin() == 'new'
    open(osp.join(stage_dir, 'x.npz'), 'w').close()
    assert manifest.status() == 'partial'
    assert StageManifest(stage_dir, 'cams', dict(a=1),
                         'in').begin() == 'partial'
    assert osp.isfile(osp.join(stage_dir, 'x.npz'))  # kept for resuming
    manifest.finish(count=1, wall_time_s=2.0)
    assert manifest.status() == 'done'
    changed = StageManifest(stage_dir, 'cams', dict(a=2), 'in')
    assert changed.status() == 'stale' and changed.begin() == 'stale'
    assert not osp.exists(osp.join(stage_dir, 'x.npz'))
    # set aside until the re-run finishes, then discarded
    assert osp.isfile(osp.join(stage_dir + '.outdated', 'x.npz'))
    changed.discard_outdated()
    assert not osp.exists(stage_dir + '.outdated')
    assert StageManifest(stage_dir, 'cams', dict(a=2), 'other').status() == \
        'stale'
    assert changed.fingerprint != manifest.fingerprint


def test_config_without_stages_old_section_and_bad_stage(
        toy_voc, tmp_path, toy_pipeline_cfg):
    cfg = toy_pipeline_cfg(toy_voc, segment=False)
    section = cfg.pop('stages')
    with pytest.raises(InvalidInputError, match='no `stages` section'):
        PipelineRunner(cfg, str(tmp_path), 'x.py')
    cfg.pipeline = dict(cams=dict(split='train'))  # the old name
    with pytest.raises(InvalidInputError, match='called `stages` now'):
        PipelineRunner(cfg, str(tmp_path), 'x.py')
    cfg.pop('pipeline')
    cfg.stages = section
    cfg.stages.refine.type = 'RefinStage'
    with pytest.raises(InvalidInputError, match='Did you mean RefineStage'):
        PipelineRunner(cfg, str(tmp_path), 'x.py')
    runner = PipelineRunner(toy_pipeline_cfg(toy_voc), str(tmp_path), 'x.py')
    with pytest.raises(InvalidInputError, match='Unknown stages'):
        runner.run(['bogus'])


def test_partial_run_keeps_finished_stages_in_report(toy_voc, tmp_path,
                                                      toy_pipeline_cfg):
    """``--stages cams`` after a full run: the report still lists the
    refine stage an earlier run finished with the same settings and inputs,
    and drops it once its settings changed."""
    work_dir = str(tmp_path / 'run')
    cfg = toy_pipeline_cfg(toy_voc, segment=False)
    full = PipelineRunner(cfg, work_dir, 'toy').run()
    partial = PipelineRunner(cfg, work_dir, 'toy').run(['cams'])
    assert statuses(partial) == dict(
        train='skipped', cams='skipped', refine='finished earlier')
    assert list(partial['stages']) == ['train', 'cams', 'refine']
    assert partial['stages']['refine']['metrics'] == \
        full['stages']['refine']['metrics']
    with open(osp.join(work_dir, 'report.json')) as f:
        assert json.load(f)['stages']['refine']['status'] == \
            'finished earlier'
    cfg.stages.refine.refiner.bg_threshold = 0.3
    changed = PipelineRunner(cfg, work_dir, 'toy').run(['cams'])
    assert statuses(changed) == dict(train='skipped', cams='skipped')


def test_render_markdown():
    text = render_markdown(
        dict(config='c.py', seed=3, versions=dict(torch='2'),
             stages=dict(cams=dict(status='ran', count=4, wall_time_s=2.0,
                                   items_per_s=2.0,
                                   metrics={'cam/mIoU_best': 40.5,
                                            'cam/curve': [1, 2]}))))
    assert '| cams | ran | 4 | 2.00 | 2.00 |' in text
    assert '| cams | cam/mIoU_best | 40.50 |' in text
    assert 'curve' not in text


@pytest.mark.slow
def test_sigkill_during_cams_then_resume(toy_voc, tmp_path, toy_pipeline_cfg):
    """Kill the pipeline while it writes CAMs: the re-run resumes the stage,
    leaves no temporaries and gives the files of an uninterrupted run."""
    cfg = toy_pipeline_cfg(toy_voc, segment=False)
    cfg.stages.cams.batch_size = 1
    cfg_path = str(tmp_path / 'toy_pipeline.py')
    cfg.dump(cfg_path)
    tool = osp.join(ROOT, 'tools', 'run_pipeline.py')
    env = dict(os.environ, OMP_NUM_THREADS='1')

    def run(work_dir, stages):
        return subprocess.run(
            [sys.executable, tool, cfg_path, '--work-dir', work_dir,
             '--stages', *stages], env=env, capture_output=True, text=True,
            timeout=600)

    killed = str(tmp_path / 'killed')
    res = run(killed, ['train'])
    assert res.returncode == 0, res.stderr[-2000:]
    cam_dir = osp.join(killed, 'cams', 'cams')
    proc = subprocess.Popen(
        [sys.executable, tool, cfg_path, '--work-dir', killed, '--stages',
         'cams'], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline:
        done = [f for f in os.listdir(cam_dir)
                if f.endswith('.npz')] if osp.isdir(cam_dir) else []
        if len(done) >= 3:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = [f for f in os.listdir(cam_dir) if f.endswith('.npz')]
    assert 3 <= len(finished) < 24, 'the kill did not land mid-stage'
    res = run(killed, ['refine'])
    assert res.returncode == 0, res.stderr[-2000:]
    with open(osp.join(killed, 'report.json')) as f:
        report = json.load(f)
    assert statuses(report) == dict(
        train='skipped', cams='resumed', refine='ran')

    clean = str(tmp_path / 'clean')
    shutil.copytree(osp.join(killed, 'train'), osp.join(clean, 'train'))
    res = run(clean, ['refine'])
    assert res.returncode == 0, res.stderr[-2000:]
    for stage, sub in (('cams', 'cams'), ('refine', 'pseudo')):
        a = sorted(os.listdir(osp.join(killed, stage, sub)))
        b = sorted(os.listdir(osp.join(clean, stage, sub)))
        assert a == b and len(a) == 24
        assert not [f for f in a if f.startswith('.')]
        for name in a:
            with open(osp.join(killed, stage, sub, name), 'rb') as f1, \
                    open(osp.join(clean, stage, sub, name), 'rb') as f2:
                assert f1.read() == f2.read(), name


def test_training_stages_resume_or_start_from_load_from(tmp_path):
    import torch

    from mmwsss.engine.checkpoints import resume_or_load
    cfg = Config(dict(work_dir=str(tmp_path), load_from='init.pth'))
    resume_or_load(cfg)
    assert cfg.resume is False and cfg.load_from == 'init.pth'
    torch.save(dict(meta=dict(iter=2)), str(tmp_path / 'iter_2.pth'))
    (tmp_path / 'iter_4.pth').write_bytes(b'PK\x03\x04 truncated')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_4.pth'))
    resume_or_load(cfg)  # the broken newer checkpoint is passed over
    assert cfg.resume is True
    assert cfg.load_from == str(tmp_path / 'iter_2.pth')
