"""AffinityTrainStage(select=...): a tiny AffinityNet trained 4 iterations
on the toy set, its checkpoints of iterations 2-4 each walking synthetic
CAMs; the best-scoring one is the stage's checkpoint, the scores resume
from their file."""
import json
import os
import os.path as osp

import pytest

from mmwsss.stages import AffinityTrainStage
from mmwsss.stages import affinity_train_stage as stage_module
from mmwsss.stages.base_stage import StageContext
from mmwsss.stages.pseudo_labels import make_pseudo_labels
from mmwsss.utils import InvalidInputError
from tests.helpers import ROOT
from tests.test_stages.conftest import loader_opts, toy_cfg

CONFIG = osp.join(ROOT, 'configs', 'affinity', 'affinitynet_r38tiny_toy.py')
WALK = dict(type='PSARandomWalkRefiner', alpha=4, beta=8, logt=2)


def make_stage(root, select, **options):
    return AffinityTrainStage(
        'aff_train',
        CONFIG,
        labels='aff_labels',
        cfg_options={
            **loader_opts('train_dataloader', root),
            'model.backbone.init_cfg': None,  # no toy-pretrained file
            'train_cfg.max_iters': 4,
            'default_hooks.checkpoint.interval': 1,
            'default_hooks.checkpoint.max_keep_ckpts': -1,
            **options,
        },
        select=select)


@pytest.fixture(scope='module')
def aff_labels(toy_train, toy_cams, tmp_path_factory):
    out = str(tmp_path_factory.mktemp('aff_labels'))
    make_pseudo_labels(toy_train, toy_cams, out,
                       dict(type='CRFScoreMaker', bg_powers=(2, 8)),
                       progress=False)
    return out


def context(root, work_dir, labels, cams):
    upstream = dict(
        aff_labels=dict(outputs=dict(labels=labels)),
        cams=dict(outputs=dict(cams=cams)))
    return StageContext(
        toy_cfg(root, segment=False), work_dir, 'aff_train', upstream)


def test_selection_keeps_the_best_walk_and_resumes(
        toy_voc, toy_cams, aff_labels, tmp_path, monkeypatch):
    select = dict(refiner=WALK, start=2, interval=1, num_images=6)
    stage = make_stage(toy_voc, select)
    ctx = context(toy_voc, str(tmp_path), aff_labels, toy_cams)
    assert stage.needs() == ('aff_labels', 'cams')
    stage.check(ctx.cfg)

    # prescribed scores per walked checkpoint: 3 and 4 tie, 3 wins
    prescribed = {2: 40.0, 3: 70.0, 4: 70.0}
    walked = {}
    real_evaluate = stage_module.evaluate_pseudo_labels

    def evaluate(label_dir, data_list, classes, metric_cfg=None):
        it = int(osp.basename(label_dir)[len('iter_'):])
        walked[it] = sorted(os.listdir(label_dir))
        real = real_evaluate(label_dir, data_list, classes, metric_cfg)
        return dict(real, **{'pseudo/mIoU': prescribed[it]})

    monkeypatch.setattr(stage_module, 'evaluate_pseudo_labels', evaluate)
    record = stage.run(ctx)
    assert record['outputs']['checkpoint'] == 'aff_train/iter_3.pth'
    assert record['metrics'] == {
        'select/best_iter': 3,
        'select/best_mIoU': 70.0,
        'select/iters': [2, 3, 4],
        'select/mIoU_curve': [40.0, 70.0, 70.0],
    }
    # every checkpoint walked the first 6 training images with its network
    dataset = stage.datasets(ctx.cfg)[-1]
    ids = sorted(f'{dataset.get_data_info(i)["img_id"]}.png'
                 for i in range(6))
    assert walked == {2: ids, 3: ids, 4: ids}
    select_dir = tmp_path / 'aff_train' / 'select'
    assert os.listdir(select_dir) == ['scores.json']  # walks removed
    stored = json.loads((select_dir / 'scores.json').read_text())
    assert stored['scores'] == {'2': 40.0, '3': 70.0, '4': 70.0}

    # resumed: training is finished and nothing is walked again
    def no_walk(*args, **kwargs):
        raise AssertionError('walked a checkpoint scored before')

    monkeypatch.setattr(stage_module, 'make_pseudo_labels', no_walk)
    assert stage.run(ctx) == record

    # the real metric on a fresh scores file: the curve is the walks'
    # pseudo-label mIoU and the choice follows it
    monkeypatch.setattr(stage_module, 'evaluate_pseudo_labels',
                        real_evaluate)
    monkeypatch.setattr(stage_module, 'make_pseudo_labels',
                        make_pseudo_labels)
    os.remove(select_dir / 'scores.json')
    metrics = stage.run(ctx)['metrics']
    curve = metrics['select/mIoU_curve']
    assert len(curve) == 3 and all(0 <= v <= 100 for v in curve)
    best = curve.index(max(curve))
    assert metrics['select/best_iter'] == [2, 3, 4][best]
    assert metrics['select/best_mIoU'] == max(curve)


def test_select_none_keeps_the_last_checkpoint_and_its_settings(toy_voc):
    last = make_stage(toy_voc, None)
    chosen = make_stage(toy_voc, dict(refiner=WALK, start=2, interval=1))
    assert last.needs() == ('aff_labels', )
    assert 'select' not in last.settings(None)
    settings = chosen.settings(None)['select']
    assert settings['start'] == 2 and 'nproc' not in settings
    # a different selection is a different stage run; nproc is not
    other = make_stage(toy_voc, dict(refiner=WALK, start=3, interval=1))
    faster = make_stage(toy_voc,
                        dict(refiner=WALK, start=2, interval=1, nproc=4))
    assert other.settings(None) != chosen.settings(None)
    assert faster.settings(None) == chosen.settings(None)


def test_a_checkpoint_interval_that_misses_scored_ones_is_named(toy_voc):
    stage = make_stage(
        toy_voc, dict(refiner=WALK, start=2, interval=1),
        **{'default_hooks.checkpoint.interval': 2})
    with pytest.raises(InvalidInputError) as info:
        stage.check_selection()
    message = str(info.value)
    assert 'stages.aff_train.config' in message
    assert 'default_hooks.checkpoint.interval' in message
    assert 'does not save iteration 3' in message
    kept = make_stage(
        toy_voc, dict(refiner=WALK, start=2, interval=1),
        **{'default_hooks.checkpoint.max_keep_ckpts': 1})
    with pytest.raises(InvalidInputError, match='max_keep_ckpts=1'):
        kept.check_selection()


@pytest.mark.parametrize('select, match', [
    (dict(refiner=WALK, every=3), r"unknown settings \['every'\]"),
    (dict(start=2), 'select.refiner must be a walk refiner'),
    (dict(refiner=dict(type='ThresholdRefiner')), 'does not walk'),
    (dict(refiner=WALK, start=2, interval=1, num_images=0),
     'num_images must be'),
    (dict(refiner=WALK, start=9, interval=1), 'start=9 is after'),
])
def test_bad_selection_settings_are_named(toy_voc, select, match):
    with pytest.raises(InvalidInputError, match=match):
        make_stage(toy_voc, select).check_selection()
