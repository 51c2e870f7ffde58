"""The learned random walk as pipeline stages on the toy set: affinity
labels -> affinity network -> walk, for AffinityNet and IRN; a sweep of
the walk's settings re-runs only the walk, from the affinity cache."""
import os
import os.path as osp

import numpy as np
import pytest
import torch

from mmwsss.apis import PipelineRunner
from tests.helpers import ROOT
from tests.test_stages.conftest import loader_opts

NETWORKS = dict(
    psa=('affinitynet_r38tiny_toy.py',
         dict(type='CRFScoreMaker', bg_powers=(2, 8)),
         dict(type='PSARandomWalkRefiner', alpha=4, beta=8, logt=4)),
    irn=('irn_r50tiny_toy.py',
         dict(type='IRLabelMaker', fg_thr=0.30, bg_thr=0.05),
         dict(type='IRNRandomWalkRefiner', exp_times=4, radius=5)))


def walk_cfg(toy_pipeline_cfg, root, kind):
    config, maker, refiner = NETWORKS[kind]
    cfg = toy_pipeline_cfg(root, segment=False)
    cfg.stages.update(
        aff_labels=dict(type='AffinityLabelStage', maker=maker),
        aff_train=dict(
            type='AffinityTrainStage',
            config=osp.join(ROOT, 'configs', 'affinity', config),
            # AEFT's choice: the trunk starts from the stage-1 classifier
            init_from='train' if kind == 'psa' else None,
            cfg_options={
                **loader_opts('train_dataloader', root),
                'train_cfg.max_iters': 2,
                'default_hooks.checkpoint.interval': 2,
            }),
        # two workers for psa: the network runs in spawned worker
        # processes (forked ones could deadlock after the training above)
        walk=dict(type='RefineStage', affinity='aff_train',
                  nproc=2 if kind == 'psa' else 1, refiner=refiner))
    return cfg


@pytest.mark.parametrize('kind', ['psa', 'irn'])
def test_walk_stages_run_then_a_sweep_reruns_only_the_walk(
        kind, toy_voc, tmp_path, toy_pipeline_cfg):
    work_dir = str(tmp_path / kind)
    report = PipelineRunner(
        walk_cfg(toy_pipeline_cfg, toy_voc, kind), work_dir, kind).run()
    stages = report['stages']
    assert {name: s['status'] for name, s in stages.items()} == dict(
        train='ran', cams='ran', refine='ran', aff_labels='ran',
        aff_train='ran', walk='ran')
    labels = sorted(os.listdir(osp.join(work_dir, 'aff_labels', 'labels')))
    assert len(labels) == 24
    if kind == 'psa':
        with np.load(osp.join(work_dir, 'aff_labels', 'labels',
                              labels[0])) as data:
            keys = data['keys']
            assert data['scores_lo'].shape == (keys.size + 1, 64, 64)
            assert data['scores_hi'].shape == (keys.size + 1, 64, 64)
    else:
        assert 'pseudo/mIoU' in stages['aff_labels']['metrics']
    outputs = stages['aff_train']['outputs']
    assert outputs['checkpoint'].endswith('.pth')
    if kind == 'irn':  # IRNMeanShiftHook ran before the last save
        state = torch.load(osp.join(work_dir, outputs['checkpoint']),
                           map_location='cpu',
                           weights_only=False)['state_dict']
        assert state['head.mean_shift.running_mean'].abs().min() > 0
    assert osp.isfile(osp.join(work_dir, outputs['config']))
    walked = sorted(os.listdir(osp.join(work_dir, 'walk', 'pseudo')))
    assert len(walked) == 24
    assert 0 <= stages['walk']['metrics']['pseudo/mIoU'] <= 100
    cache = osp.join(work_dir, outputs['checkpoint'] + '.affinity_cache')
    cached = {name: os.stat(osp.join(cache, name)).st_mtime_ns
              for name in os.listdir(cache)}
    assert len(cached) == 24  # one entry per (distinct) image

    # a sweep of the walk's own setting: only the walk re-runs, and from
    # the cache (no entry rewritten)
    cfg = walk_cfg(toy_pipeline_cfg, toy_voc, kind)
    setting = 'alpha' if kind == 'psa' else 'bg_threshold'
    cfg.stages.walk.refiner[setting] = 8 if kind == 'psa' else 0.4
    again = PipelineRunner(cfg, work_dir, kind).run()
    assert {n: s['status'] for n, s in again['stages'].items()} == dict(
        train='skipped', cams='skipped', refine='skipped',
        aff_labels='skipped', aff_train='skipped', walk='ran')
    assert {name: os.stat(osp.join(cache, name)).st_mtime_ns
            for name in os.listdir(cache)} == cached


def test_walk_without_a_network_stage_is_a_clear_error(
        toy_voc, tmp_path, toy_pipeline_cfg):
    from mmwsss.utils import InvalidInputError
    cfg = toy_pipeline_cfg(toy_voc, segment=False)
    cfg.stages.refine.refiner = dict(type='PSARandomWalkRefiner')
    with pytest.raises(InvalidInputError, match="affinity='aff_train'"):
        PipelineRunner(cfg, str(tmp_path / 'run'), 'toy').run()
