"""The pure parts of AEFT's checkpoint selection (the grid, the check of
the checkpoint hook, best-of with ties to the earlier, the scores file)
and the selection settings of the AEFT configs."""
import json
import math

import pytest
from mmengine.config import Config

from mmwsss.apis.pipeline_runner import build_stages
from mmwsss.stages import AffinityTrainStage
from mmwsss.stages.checkpoint_selection import (
    best_checkpoint,
    check_checkpoints_saved,
    load_scores,
    save_scores,
    selection_iters,
)
from mmwsss.utils import InvalidInputError
from tests.helpers import ROOT

HOOK = dict(type='CheckpointHook', by_epoch=False, interval=200,
            save_begin=1600, max_keep_ckpts=-1)


def test_best_checkpoint_takes_the_highest_score():
    assert best_checkpoint([1600, 1800, 2000], [50.0, 61.5, 60.0]) == (1800,
                                                                       61.5)


def test_best_checkpoint_tie_goes_to_the_earlier():
    assert best_checkpoint([1600, 1800, 2000], [55.0, 61.0, 61.0]) == (1800,
                                                                       61.0)


def test_best_checkpoint_skips_non_finite_scores():
    assert best_checkpoint([2, 3], [math.nan, 1.0]) == (3, 1.0)
    with pytest.raises(InvalidInputError, match='no checkpoint with a '
                       'finite score'):
        best_checkpoint([2], [math.nan])


def test_best_checkpoint_of_nothing_is_a_clear_error():
    with pytest.raises(InvalidInputError, match='no checkpoint'):
        best_checkpoint([], [])
    with pytest.raises(ValueError, match='2 iterations but 1 scores'):
        best_checkpoint([1, 2], [1.0])


def test_selection_iters_is_the_official_grid():
    iters = selection_iters(1600, 200, 10576, 'select')
    assert iters[:2] == [1600, 1800] and iters[-1] == 10400
    assert len(iters) == 45  # the last iteration lies off the grid
    assert selection_iters(150, 75, 300, 'select') == [150, 225, 300]
    with pytest.raises(InvalidInputError, match='select.start=400 is after'):
        selection_iters(400, 100, 300, 'select')
    with pytest.raises(InvalidInputError, match='select.interval must be'):
        selection_iters(100, 0, 300, 'select')


def test_the_aeft_checkpoint_hook_saves_every_scored_checkpoint():
    iters = selection_iters(1600, 200, 10576, 'select')
    check_checkpoints_saved(HOOK, 10576, iters, 'stage')
    # a coarser or shifted interval misses some
    for change in (dict(interval=400), dict(save_begin=1700),
                   dict(save_begin=0, interval=300)):
        with pytest.raises(InvalidInputError,
                           match='default_hooks.checkpoint .*interval'):
            check_checkpoints_saved(dict(HOOK, **change), 10576, iters,
                                    'stage')
    # psa's hook: one checkpoint at the end, only the last kept
    with pytest.raises(InvalidInputError, match='does not save iteration '
                       '1600'):
        check_checkpoints_saved(
            dict(HOOK, interval=10576, save_begin=0, max_keep_ckpts=1),
            10576, iters, 'stage')
    with pytest.raises(InvalidInputError,
                       match=r'max_keep_ckpts=2 deletes .* at least 46'):
        check_checkpoints_saved(dict(HOOK, max_keep_ckpts=2), 10576, iters,
                                'stage')
    check_checkpoints_saved(dict(HOOK, max_keep_ckpts=46), 10576, iters,
                            'stage')
    with pytest.raises(InvalidInputError, match='by_epoch=False'):
        check_checkpoints_saved(dict(HOOK, by_epoch=True), 10576, iters,
                                'stage')
    with pytest.raises(InvalidInputError, match='out_dir'):
        check_checkpoints_saved(dict(HOOK, out_dir='/elsewhere'), 10576,
                                iters, 'stage')
    # the last iteration is saved by save_last even off the interval grid
    check_checkpoints_saved(
        dict(HOOK, interval=100, save_begin=0), 350, [200, 350], 'stage')


def test_scores_file_round_trip_and_settings_mismatch(tmp_path):
    path = str(tmp_path / 'select' / 'scores.json')
    settings = dict(start=2, interval=1, refiner=dict(alpha=4))
    assert load_scores(path, settings) == {}
    save_scores(path, settings, {3: 60.0, 2: 50.5})
    assert load_scores(path, settings) == {2: 50.5, 3: 60.0}
    with open(path) as f:
        assert json.load(f)['scores'] == {'2': 50.5, '3': 60.0}
    # made with other settings: not reused
    assert load_scores(path, dict(settings, start=3)) == {}
    (tmp_path / 'select' / 'scores.json').write_text('{broken')
    assert load_scores(path, settings) == {}


def _affinity_stages(name, monkeypatch):
    cfg = Config.fromfile(f'{ROOT}/configs/{name}')
    monkeypatch.chdir(ROOT)  # stage configs are relative to the root
    return cfg, {
        key: stage
        for key, stage in build_stages(cfg, name).items()
        if isinstance(stage, AffinityTrainStage)
    }


@pytest.mark.parametrize('name', [
    'aeft/gpp_r38_voc.py', 'aeft/aeft_gpp_r38_voc.py',
    'aeft/aeft_gpp_r38tiny_pretrained_walks_toy.py'
])
def test_aeft_configs_select_the_affinitynet_checkpoint(name, monkeypatch):
    cfg, stages = _affinity_stages(name, monkeypatch)
    toy = 'toy' in name
    key, walk = ('psa_train', 'psa_walk') if toy else ('aff_train', 'refine')
    stage = stages[key]
    select = stage.select
    assert (select['start'], select['interval'], select['split'],
            select['num_images']) == ((150, 75, 'train', 200) if toy else
                                      (1600, 200, 'train', None))
    # the walk that scores is the one that makes the pseudo labels
    assert select['refiner'] == cfg.stages[walk].refiner
    if not toy:
        assert (select['refiner']['alpha'], select['refiner']['beta'],
                select['refiner']['logt'],
                select['refiner']['crf']) == (19, 8, 6, dict(n_iter=1))
    assert 'cams' in stage.needs()
    assert stage.settings(cfg)['select']['start'] == select['start']
    stage.check_selection()  # the trained config saves them all
    hook = stage.own_config().default_hooks.checkpoint
    assert hook.max_keep_ckpts == -1
    for other in set(stages) - {key}:  # IRN keeps its last checkpoint
        assert stages[other].select is None


@pytest.mark.parametrize('name', [
    'isl_fsl/seam_r38_voc.py', 'baseline/gap_r38tiny_pretrained_walks_toy.py'
])
def test_psa_and_hfpl_configs_keep_the_last_checkpoint(name, monkeypatch):
    cfg, stages = _affinity_stages(name, monkeypatch)
    assert stages
    for stage in stages.values():
        assert stage.select is None
        assert 'select' not in stage.settings(cfg)
