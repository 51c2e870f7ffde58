"""The ACR configs: the official recipe, the ablations, the stage lists and
the used-by command without data or weights."""
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from helpers import ROOT
from mmwsss.apis.pipeline_runner import build_stages
from mmwsss.engine import check_pretrained, without_pretrained
from mmwsss.registry import MODELS, TRANSFORMS
from mmwsss.utils import MissingInputError

CONFIGS = ('acr_r38_voc.py', 'acr_r38_voc_lambda0.py', 'acr_r38_coco.py',
           'acr_r38tiny_pretrained_toy.py',
           'acr_r38tiny_pretrained_lambda0_toy.py')


def load(name):
    return Config.fromfile(osp.join(ROOT, 'configs', 'acr', name))


def build_model(cfg):
    model = MODELS.build(without_pretrained(cfg.model.to_dict()))
    model.init_weights()
    return model


def group_mults(optim_wrapper, name):
    """Sorted (lr / base lr, weight decay) of an optimiser's groups."""
    base = optim_wrapper[name].optimizer.defaults['lr']
    return sorted((round(g['lr'] / base, 6), g['weight_decay'])
                  for g in optim_wrapper[name].optimizer.param_groups)


@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds_both_networks_and_schedules(name):
    cfg = load(name)
    model = build_model(cfg)
    assert type(model).__name__ == 'ACRClassifier'
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    assert sorted(optim.keys()) == ['classifier', 'reconstructor']
    max_iters = cfg.train_cfg.max_iters
    assert cfg.param_scheduler[-1]['end'] == max_iters
    (srf, ) = [h for h in cfg.custom_hooks if h.type == 'SRFScheduleHook']
    epochs = 3 if 'coco' in name else 40
    assert srf.iters_per_epoch * epochs == max_iters
    assert cfg.model_wrapper_cfg.type == 'MMSeparateDistributedDataParallel'
    assert cfg.model.cam_cfg.normalize == 'minmax'


def test_voc_is_the_official_recipe():
    cfg = load('acr_r38_voc.py')
    assert cfg.randomness.seed == 4242
    assert cfg.train_dataloader.batch_size == 8
    assert cfg.train_cfg.max_iters == 52880
    assert cfg.train_dataloader.dataset.split == 'trainaug'
    pipeline = [TRANSFORMS.build(t)
                for t in cfg.train_dataloader.dataset.pipeline]
    assert [type(t).__name__ for t in pipeline] == [
        'LoadImageFromFile', 'RandomResize', 'RandomFlip', 'PSARandomCrop',
        'PackInputs']
    assert pipeline[1].ratio_range == (0.75, 1.0)  # long side 384-512
    assert pipeline[3].crop_size == (256, 256)
    for wrapper in ('classifier', 'reconstructor'):
        opt = cfg.optim_wrapper[wrapper].optimizer
        assert (opt.type, opt.lr, opt.momentum, opt.weight_decay) == (
            'SGD', 0.01, 5e-4, 5e-4)
    (poly, ) = cfg.param_scheduler
    assert (poly.type, poly.power, poly.eta_min) == ('PolyLR', 0.9, 0.0)
    model = cfg.model
    assert model.backbone.frozen_stages == () and model.backbone.norm_eval
    assert model.head.hidden_channels == 256
    assert model.reconstructor.encoder.out_indices == (3, 5, 6)
    assert model.reconstructor.encoder.init_cfg.checkpoint == \
        model.backbone.init_cfg.checkpoint == \
        'pretrained/resnet38d_imagenet.pth'
    assert model.adversary.ru_weights == dict(cls=1.0, full=0.2, t=0.5,
                                              nt=0.3)
    assert model.adversary.cu_weights == dict(cls=1.0, t=0.8, nt=0.3)
    assert model.srf == dict(cells=16, keep_start=0.8, keep_step=0.01)
    assert model.cam_cfg.scales == (1.0, 0.5, 1.5, 2.0)
    assert model.cam_cfg.resize_mode == 'bicubic'
    (metric, ) = cfg.val_evaluator
    assert metric.bg_thresholds[0] == 0.05 and metric.bg_thresholds[-1] == \
        0.6
    # lr groups of the built model: x1 / x2 (no decay) / x10 transposed
    optim = build_optim_wrapper(build_model(cfg), cfg.optim_wrapper)
    assert group_mults(optim, 'classifier') == [(1.0, 5e-4)]
    assert group_mults(optim, 'reconstructor') == [(1.0, 5e-4), (2.0, 0.0),
                                                   (10.0, 5e-4)]


def test_coco_takes_the_supplement_values():
    cfg = load('acr_r38_coco.py')
    assert cfg.optim_wrapper.classifier.optimizer.lr == 0.005
    assert cfg.optim_wrapper.reconstructor.optimizer.lr == 0.005
    assert cfg.train_cfg.max_iters == 3 * (82081 // 8)
    assert cfg.model.adversary.ru_weights.t == 0.2
    assert cfg.model.adversary.ru_weights.nt == 0.2
    assert cfg.model.adversary.cu_weights.t == 0.3
    assert cfg.model.adversary.cu_weights.nt == 0.2
    assert cfg.model.head.num_classes == 80
    assert cfg.model.reconstructor.head.num_classes == 80
    assert cfg.train_dataloader.dataset.type == 'COCOClsDataset'
    assert cfg.stages.irn_walk.refiner.bg_threshold == 0.22
    assert cfg.stages.segment.config == \
        'configs/deeplab/deeplabv2_r101_coco_pseudo.py'


@pytest.mark.parametrize('name', ['acr_r38_voc_lambda0.py',
                                  'acr_r38tiny_pretrained_lambda0_toy.py'])
def test_lambda0_ablations_zero_every_reconstruction_weight(name):
    cfg = load(name)
    base = load(name.replace('_lambda0', ''))
    adversary = cfg.model.adversary
    assert adversary.ru_weights == dict(cls=0.0, full=0.0, t=0.0, nt=0.0)
    assert adversary.cu_weights == dict(cls=1.0, t=0.0, nt=0.0)
    for key in ('train_cfg', 'optim_wrapper', 'param_scheduler', 'stages',
                'train_dataloader'):
        assert cfg[key] == base[key], key
    cfg.model.pop('adversary')
    base.model.pop('adversary')
    assert cfg.model == base.model


@pytest.mark.parametrize('name', CONFIGS)
def test_stage_lists_end_in_deeplab_on_the_irn_walk(name, monkeypatch):
    cfg = load(name)
    stages = build_stages(cfg, name)
    order = list(stages)
    assert order[0] == 'train' and order[-1] == 'segment'
    for earlier, later in (('cams', 'irn_labels'), ('irn_labels',
                                                    'irn_train'),
                           ('irn_train', 'irn_walk'), ('irn_walk',
                                                       'segment')):
        assert order.index(earlier) < order.index(later)
    assert cfg.stages.segment.labels == 'irn_walk'
    assert cfg.stages.irn_walk.refiner.type == 'IRNRandomWalkRefiner'
    if 'toy' in name:  # the toy walk settings (tests/test_configs_toy_walks)
        assert cfg.stages.irn_labels.maker.fg_thr == 0.6
        assert 'refine' in stages  # DenseCRF, for comparison
    else:  # RIB's settings
        assert (cfg.stages.irn_labels.maker.fg_thr,
                cfg.stages.irn_labels.maker.bg_thr) == (0.35, 0.17)
        assert cfg.stages.irn_walk.refiner.cam_power == 1.3
        assert cfg.stages.irn_train.config == \
            'configs/affinity/irn_r50_rib_voc.py'
    monkeypatch.chdir(ROOT)  # stage configs are relative to the root
    for stage in stages.values():
        if hasattr(stage, 'own_config'):  # trains another config
            own = stage.own_config()  # loads, with the cfg_options applied
            assert own.train_dataloader.dataset.data_root
            if getattr(stage, 'tta', False):
                assert 'tta_model' in own and 'tta_pipeline' in own
        elif type(stage).__name__ != 'TrainStage':  # needs no data
            stage.check(cfg)
    if 'coco' in name:
        own = stages['irn_train'].own_config()
        assert own.train_dataloader.dataset.data_root == 'data/coco'
        assert own.train_cfg.max_iters == own.param_scheduler[0].end == 7695


def test_missing_encoder_weights_are_named(tmp_path):
    cfg = load('acr_r38_voc.py')
    weights = tmp_path / 'f.pth'
    weights.write_bytes(b'')
    cfg.model.backbone.init_cfg.checkpoint = str(weights)
    with pytest.raises(MissingInputError) as info:
        check_pretrained(cfg)
    message = str(info.value)
    assert 'model.reconstructor.encoder' in message
    assert 'resnet38d_mxnet.py' in message


def run_train(config, cwd):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'train.py'), config,
         '--work-dir', str(cwd / 'w')],
        cwd=str(cwd), env=env, capture_output=True, text=True, timeout=600)


def test_used_by_command_without_data_or_weights_says_what_to_fetch(
        tmp_path):
    config = osp.join(ROOT, 'configs', 'acr', 'acr_r38_voc.py')
    res = run_train(config, tmp_path)
    assert res.returncode == 2 and 'Traceback' not in res.stderr
    assert 'data/VOCdevkit/VOC2012' in res.stderr
    assert 'voc_aug.py' in res.stderr
    os.makedirs(tmp_path / 'data' / 'VOCdevkit' / 'VOC2012')
    res = run_train(config, tmp_path)
    assert res.returncode == 2 and 'Traceback' not in res.stderr
    assert 'pretrained/resnet38d_imagenet.pth' in res.stderr
    assert 'resnet38d_mxnet.py' in res.stderr
