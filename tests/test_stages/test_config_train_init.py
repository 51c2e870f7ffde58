"""ConfigTrainStage.init_from: the upstream training stage's backbone
weights replace the config's own initialisation (AffinityNet from the
classifier; the toy DeepLab from the toy classifier)."""
import pytest
from mmengine.config import Config

from mmwsss.stages import AffinityTrainStage, SegmentStage
from mmwsss.stages.base_stage import StageContext

SEG = 'configs/deeplab/deeplabv2_r38tiny_toy_pseudo.py'


def context(tmp_path):
    upstream = dict(
        train=dict(outputs=dict(checkpoint='train/iter_1000.pth')),
        refine=dict(outputs=dict(labels='refine/pseudo')))
    return StageContext(Config(), str(tmp_path), 'segment', upstream)


@pytest.mark.parametrize('init_from', ['train', None])
def test_segment_stage_init_from(tmp_path, init_from):
    stage = SegmentStage('segment', SEG, labels='refine', init_from=init_from)
    assert stage.needs() == (('refine', 'train') if init_from else
                             ('refine', ))
    # the config's own init is not checked/fingerprinted when replaced
    own = stage.own_config()
    if init_from:
        assert own.model.backbone.init_cfg is None
    else:
        assert own.model.backbone.init_cfg.type == 'Pretrained'
    assert stage.settings(Config())['init_from'] == init_from
    cfg = stage.training_config(context(tmp_path))
    labels = cfg.train_dataloader.dataset.data_prefix.seg_map_path
    assert labels == str(tmp_path / 'refine' / 'pseudo')
    init = cfg.model.backbone.init_cfg
    if init_from:
        assert init == dict(type='Pretrained', prefix='backbone.',
                            checkpoint=str(tmp_path / 'train' /
                                           'iter_1000.pth'))
    else:
        assert init.checkpoint.endswith(
            'work_dirs/gap_r38tiny_toy/train/iter_1000.pth')


def test_init_from_changes_the_fingerprinted_settings():
    plain = AffinityTrainStage(
        'aff', 'configs/affinity/affinitynet_r38tiny_toy.py', labels='l')
    seeded = AffinityTrainStage(
        'aff', 'configs/affinity/affinitynet_r38tiny_toy.py', labels='l',
        init_from='train')
    assert plain.settings(Config()) != seeded.settings(Config())
    assert seeded.needs() == ('l', 'train')
