"""Reliability of the pipeline runner: a cache that sees the data, outputs
verified before a skip, nothing finished deleted before a re-run has passed,
one run per work dir, fail-fast workers, one log per stage."""
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time

import pytest

from helpers import load_tool
from mmwsss.apis import PipelineRunner
from mmwsss.datasets.toy_voc import make_toy_voc
from mmwsss.stages import pseudo_labels
from mmwsss.utils import InvalidInputError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def statuses(report):
    return {name: stage['status'] for name, stage in report['stages'].items()}


def folder_bytes(folder):
    return {
        name: open(osp.join(folder, name), 'rb').read()
        for name in sorted(os.listdir(folder))
    }


@pytest.fixture
def own_toy(tmp_path):
    """A toy set of this test's own (it gets modified)."""
    return make_toy_voc(
        str(tmp_path / 'toy'), seed=0, num_train=24, num_val=8, size=64)


@pytest.fixture
def finished(own_toy, tmp_path, toy_pipeline_cfg):
    """A finished train -> cams -> refine run on ``own_toy``."""
    work_dir = str(tmp_path / 'run')
    report = PipelineRunner(
        toy_pipeline_cfg(own_toy, segment=False), work_dir, 'toy').run()
    assert set(statuses(report).values()) == {'ran'}
    return work_dir, report


def test_new_data_under_the_same_ids_reruns_everything(
        finished, own_toy, toy_pipeline_cfg):
    work_dir, report = finished
    # another toy set, same ids and layout, different pixels
    make_toy_voc(own_toy, seed=5, num_train=24, num_val=8, size=64,
                 overwrite=True)
    again = PipelineRunner(
        toy_pipeline_cfg(own_toy, segment=False), work_dir, 'toy').run()
    assert statuses(again) == dict(train='ran', cams='ran', refine='ran')
    assert again['stages']['refine']['metrics'] != report['stages'][
        'refine']['metrics']


def test_touched_but_equal_files_and_logging_settings_skip(
        finished, own_toy, toy_pipeline_cfg):
    work_dir, _ = finished
    image = osp.join(own_toy, 'JPEGImages', sorted(
        os.listdir(osp.join(own_toy, 'JPEGImages')))[0])
    os.utime(image, (time.time() + 10, time.time() + 10))  # same content
    cfg = toy_pipeline_cfg(own_toy, segment=False)
    cfg.default_hooks.logger.interval = 7  # cannot change the outputs
    cfg.stages.refine.nproc = 2
    cfg.stages.cams.batch_size = 1
    again = PipelineRunner(cfg, work_dir, 'toy').run()
    assert set(statuses(again).values()) == {'skipped'}


def test_deleted_and_truncated_outputs_are_repaired(finished, own_toy,
                                                    toy_pipeline_cfg):
    work_dir, report = finished
    labels = osp.join(work_dir, 'refine', 'pseudo')
    before = folder_bytes(labels)
    names = sorted(before)
    os.remove(osp.join(labels, names[0]))
    with open(osp.join(labels, names[1]), 'r+b') as f:
        f.truncate(20)
    cams = osp.join(work_dir, 'cams', 'cams')
    cam_name = sorted(os.listdir(cams))[2]
    with open(osp.join(cams, cam_name), 'r+b') as f:
        f.truncate(30)
    again = PipelineRunner(
        toy_pipeline_cfg(own_toy, segment=False), work_dir, 'toy').run()
    assert statuses(again) == dict(
        train='skipped', cams='repaired', refine='repaired')
    assert folder_bytes(labels) == before
    assert again['stages']['refine']['metrics'] == report['stages'][
        'refine']['metrics']


def test_a_moved_work_dir_is_still_finished(finished, own_toy, tmp_path,
                                            toy_pipeline_cfg):
    work_dir, _ = finished
    moved = str(tmp_path / 'elsewhere' / 'run')
    shutil.move(work_dir, moved)
    again = PipelineRunner(
        toy_pipeline_cfg(own_toy, segment=False), moved, 'toy').run()
    assert set(statuses(again).values()) == {'skipped'}
    with open(osp.join(moved, 'refine', 'manifest.json')) as f:
        assert json.load(f)['outputs'] == dict(labels='refine/pseudo')


def test_failed_rerun_puts_the_old_outputs_back(finished, own_toy,
                                                toy_pipeline_cfg,
                                                monkeypatch):
    work_dir, report = finished
    labels = osp.join(work_dir, 'refine', 'pseudo')
    before = folder_bytes(labels)

    def broken(*args, **kwargs):
        raise InvalidInputError('the new refiner failed')

    monkeypatch.setattr('mmwsss.stages.refine_stage.make_pseudo_labels',
                        broken)
    cfg = toy_pipeline_cfg(own_toy, segment=False)
    cfg.stages.refine.refiner.bg_threshold = 0.3
    with pytest.raises(InvalidInputError, match='new refiner failed'):
        PipelineRunner(cfg, work_dir, 'toy').run()
    assert folder_bytes(labels) == before
    assert not osp.exists(osp.join(work_dir, 'refine.outdated'))
    monkeypatch.setattr('mmwsss.stages.refine_stage.make_pseudo_labels',
                        pseudo_labels.make_pseudo_labels)
    again = PipelineRunner(
        toy_pipeline_cfg(own_toy, segment=False), work_dir, 'toy').run()
    assert set(statuses(again).values()) == {'skipped'}


def test_one_run_per_work_dir(finished, own_toy, toy_pipeline_cfg):
    work_dir, _ = finished
    holder = subprocess.Popen([sys.executable, '-c', 'import time; '
                               'time.sleep(60)'])
    try:
        with open(osp.join(work_dir, '.lock'), 'w') as f:
            f.write(f'{holder.pid} {os.uname().nodename}\n')
        with pytest.raises(InvalidInputError,
                           match=f'in use by another run \\(PID {holder.pid}'):
            PipelineRunner(
                toy_pipeline_cfg(own_toy, segment=False), work_dir,
                'toy').run()
    finally:
        holder.kill()
        holder.wait()
    # the holder is gone: its lock is taken over
    again = PipelineRunner(
        toy_pipeline_cfg(own_toy, segment=False), work_dir, 'toy').run()
    assert set(statuses(again).values()) == {'skipped'}
    assert not osp.exists(osp.join(work_dir, '.lock'))


@pytest.mark.slow
def test_typo_in_a_worker_component_stops_at_once(toy_voc, tmp_path,
                                                  toy_pipeline_cfg):
    cfg = toy_pipeline_cfg(toy_voc, segment=False)
    cfg_path = str(tmp_path / 'toy.py')
    cfg.dump(cfg_path)
    start = time.time()
    res = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'run_pipeline.py'),
         cfg_path, '--work-dir', str(tmp_path / 'w'), '--cfg-options',
         'stages.refine.refiner.type=DenseCRFRefinr', 'stages.refine.nproc=2'],
        capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert res.returncode == 2, res.stderr[-2000:]
    assert "'DenseCRFRefinr' is not a registered" in res.stderr
    assert 'Did you mean DenseCRFRefiner' in res.stderr
    assert 'Traceback' not in res.stderr
    assert time.time() - start < 60
    assert not osp.exists(str(tmp_path / 'w' / 'train'))  # nothing ran


def test_a_worker_that_fails_at_start_up_stops_the_stage(toy_train, toy_cams,
                                                         tmp_path):

    class Broken:

        def __init__(self):
            raise InvalidInputError('cannot build this refiner')

    with pytest.raises(InvalidInputError, match='cannot build this refiner'):
        pseudo_labels.make_pseudo_labels(
            toy_train, toy_cams, str(tmp_path / 'out'), dict(type=Broken),
            nproc=2, progress=False)


def test_each_training_stage_logs_on_its_own(toy_voc, tmp_path,
                                             toy_pipeline_cfg):
    work_dir = str(tmp_path / 'run')
    PipelineRunner(toy_pipeline_cfg(toy_voc), work_dir, 'toy').run()

    def scalar_keys(stage):
        keys = set()
        for path in glob.glob(
                osp.join(work_dir, stage, '*', 'vis_data', 'scalars.json')):
            with open(path) as f:
                for line in f:
                    keys |= set(json.loads(line))
        return keys

    train, segment = scalar_keys('train'), scalar_keys('segment')
    assert train and segment
    assert 'multi-label/mAP' in train and 'mIoU' not in train
    assert 'mIoU' in segment and 'multi-label/mAP' not in segment
    # the release ships the classifier's own log
    (log, ) = glob.glob(
        osp.join(work_dir, 'train', '*', 'vis_data', 'scalars.json'))
    with open(osp.join(work_dir, 'train', 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    published = load_tool('misc/publish_model.py').publish_report(
        checkpoint, str(tmp_path / 'release'), 'gap_toy', log)
    with open(published['log']) as f:
        shipped = set().union(*(json.loads(line) for line in f))
    assert 'multi-label/mAP' in shipped and 'mIoU' not in shipped


@pytest.mark.parametrize('damage', ['truncated', 'not_an_image', 'missing'])
def test_bad_image_stops_before_any_stage(own_toy, tmp_path, toy_pipeline_cfg,
                                          damage):
    images = osp.join(own_toy, 'JPEGImages')
    victim = osp.join(images, sorted(os.listdir(images))[3])
    if damage == 'truncated':
        with open(victim, 'r+b') as f:
            f.truncate(200)
    elif damage == 'not_an_image':
        with open(victim, 'wb') as f:
            f.write(b'<html>not found</html>')
    else:
        os.remove(victim)
    work_dir = str(tmp_path / 'run')
    with pytest.raises((InvalidInputError, FileNotFoundError),
                       match=osp.basename(victim)):
        PipelineRunner(
            toy_pipeline_cfg(own_toy, segment=False), work_dir, 'toy').run()
    assert not osp.exists(osp.join(work_dir, 'train', 'manifest.json'))


@pytest.mark.slow
@pytest.mark.parametrize('stage', ['train', 'segment'])
def test_sigkill_in_a_training_stage_then_rerun_equals_uninterrupted(
        stage, toy_voc, tmp_path, toy_pipeline_cfg):
    """Data loads in the main process here (num_workers=0): the resumed run
    draws the augmentations of the uninterrupted one (RandomStateHook)."""
    import torch
    cfg = toy_pipeline_cfg(toy_voc)
    longer = {'train_cfg.max_iters': 40, 'train_cfg.val_interval': 40,
              'default_hooks.checkpoint.interval': 10,
              'default_hooks.checkpoint.max_keep_ckpts': 5}
    if stage == 'train':
        cfg.merge_from_dict(longer)
    else:
        cfg.stages.segment.cfg_options.update(longer)
    cfg_path = str(tmp_path / 'toy.py')
    cfg.dump(cfg_path)
    tool = [sys.executable, osp.join(ROOT, 'tools', 'run_pipeline.py'),
            cfg_path, '--stages', stage, '--work-dir']
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')

    def run(work_dir):
        res = subprocess.run(tool + [work_dir], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stderr[-3000:]

    whole, killed = str(tmp_path / 'whole'), str(tmp_path / 'killed')
    run(whole)
    if stage == 'segment':  # the same upstream outputs in both work dirs
        shutil.copytree(whole, killed, ignore=shutil.ignore_patterns(
            'segment', 'report.*'))
    proc = subprocess.Popen(tool + [killed], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    first = osp.join(killed, stage, 'iter_10.pth')
    deadline = time.time() + 300
    while time.time() < deadline and not osp.isfile(first):
        time.sleep(0.01)
    time.sleep(0.05)
    proc.kill()
    proc.wait()
    assert not osp.isfile(osp.join(killed, stage, 'iter_40.pth')), \
        'the kill came too late'
    run(killed)
    with open(osp.join(killed, 'report.json')) as f:
        assert json.load(f)['stages'][stage]['status'] == 'resumed'
    a = torch.load(osp.join(whole, stage, 'iter_40.pth'), map_location='cpu',
                   weights_only=False)['state_dict']
    b = torch.load(osp.join(killed, stage, 'iter_40.pth'),
                   map_location='cpu', weights_only=False)['state_dict']
    assert a.keys() == b.keys()
    diff = max((a[k].float() - b[k].float()).abs().max().item() for k in a)
    assert diff == 0.0, diff


@pytest.mark.parametrize('key,typo,suggestion', [
    ('model.head.type', 'GAPHeaf', 'GAPHead'),
    ('train_dataloader.dataset.pipeline.0.type', 'LoadImageFromFil',
     'LoadImageFromFile'),
])
def test_typo_in_a_component_type_stops_before_training(
        toy_voc, tmp_path, toy_pipeline_cfg, key, typo, suggestion):
    cfg = toy_pipeline_cfg(toy_voc)
    cfg.merge_from_dict({key: typo}, allow_list_keys=True)
    with pytest.raises(InvalidInputError,
                       match=f"{typo}.*Did you mean {suggestion}"):
        PipelineRunner(cfg, str(tmp_path / 'run'), 'toy').run()
    assert not osp.exists(str(tmp_path / 'run' / 'train' / 'manifest.json'))


def test_every_shipped_config_passes_the_type_check():
    from mmengine.config import Config

    from mmwsss.stages.registry_check import check_config_types
    paths = [
        p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                             recursive=True) if '_base_' not in p
    ]
    assert len(paths) > 20
    for path in paths:
        check_config_types(Config.fromfile(path).to_dict())


def test_empty_split_stops_before_the_stage(own_toy, tmp_path,
                                            toy_pipeline_cfg):
    with open(osp.join(own_toy, 'ImageSets', 'Segmentation', 'empty.txt'),
              'w') as f:
        f.write('')
    cfg = toy_pipeline_cfg(own_toy, segment=False)
    cfg.stages.cams.split = 'empty'
    with pytest.raises(InvalidInputError, match='empty.txt lists no image'):
        PipelineRunner(cfg, str(tmp_path / 'run'), 'toy').run()


def test_unwritable_work_dir_is_a_clear_error(tmp_path, monkeypatch):
    """Root may write anywhere, so the file system's refusal is simulated
    where the runner first writes: the lock file."""
    import errno

    from mmwsss.stages.work_dir_lock import WorkDirLock

    def refuse(path, *args, **kwargs):
        raise OSError(errno.EROFS, 'Read-only file system', path)

    monkeypatch.setattr(os, 'open', refuse)
    with pytest.raises(InvalidInputError,
                       match='Read-only file system.*make the work dir'):
        WorkDirLock(str(tmp_path)).acquire()


def test_disk_full_is_a_clear_exit_2(capsys):
    import errno

    from mmwsss.utils import exit_on_user_error
    with pytest.raises(SystemExit) as exc:
        with exit_on_user_error():
            raise OSError(errno.ENOSPC, 'No space left on device',
                          '/w/train/iter_20.pth')
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert 'No space left on device: /w/train/iter_20.pth' in err
    assert 'finished outputs are kept' in err
    with pytest.raises(OSError):  # other OS errors stay bugs
        with exit_on_user_error():
            raise OSError(errno.EBADF, 'Bad file descriptor')
