"""The toy walk settings are one setting shared by every toy study config."""
import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
WALKS = 'configs/baseline/gap_r38tiny_pretrained_walks_toy.py'
IRN_STAGES = ('irn_labels', 'irn_train', 'irn_walk')


def stages(path):
    return Config.fromfile(osp.join(ROOT, path)).stages.to_dict()


@pytest.mark.parametrize('path', [
    'configs/acr/acr_r38tiny_pretrained_toy.py',
    'configs/acr/acr_r38tiny_pretrained_lambda0_toy.py',
    'configs/aeft/aeft_gpp_r38tiny_pretrained_walks_toy.py',
    'configs/isl_fsl/gap_fsl_r38tiny_pretrained_walks_toy.py',
])
def test_irn_stages_equal_the_gap_walks_config(path):
    ours, reference = stages(path), stages(WALKS)
    for name in IRN_STAGES:
        assert ours[name] == reference[name], name


def test_toy_walks_are_scaled_to_the_toy_grid():
    ref = stages(WALKS)
    # VOC: exp_times 8 / logt 6 (IRN / psa), thresholds 0.30 / 0.05 / 0.25
    assert ref['irn_walk']['refiner']['exp_times'] == 2
    assert ref['irn_walk']['refiner']['bg_threshold'] == 0.55
    assert ref['irn_labels']['maker'] == dict(
        type='IRLabelMaker', fg_thr=0.6, bg_thr=0.3)
    assert ref['psa_walk']['refiner']['logt'] == 2
    aeft = stages('configs/aeft/aeft_gpp_r38tiny_pretrained_walks_toy.py')
    assert aeft['psa_train']['select']['refiner'] == ref['psa_walk']['refiner']
