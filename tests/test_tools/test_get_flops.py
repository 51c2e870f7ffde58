import os.path as osp

import pytest
from mmengine.config import Config

from helpers import ROOT, load_tool
from mmwsss.registry import MODELS

TOY_CFG = osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toy.py')
SEG_CFG = osp.join(ROOT, 'configs', 'deeplab', 'deeplabv2_r18_toy_pseudo.py')


@pytest.fixture(scope='module')
def tool():
    return load_tool('analysis/get_flops.py')


def num_params(cfg):
    return sum(p.numel() for p in MODELS.build(cfg.model).parameters())


def test_classifier_flops_scale_with_the_pixels(tool):
    cfg = Config.fromfile(TOY_CFG)
    small = tool.complexity(cfg, (32, 32))
    large = tool.complexity(cfg, (64, 64))
    assert small['params'] == large['params'] == num_params(cfg)
    assert small['model'] == 'CAMClassifier'
    assert small['shape'] == (3, 32, 32) and small['flops'] > 0
    # convolutions only (output stride 8, no pooling counted): 4x pixels,
    # 4x multiply-adds
    assert large['flops'] == 4 * small['flops']


def test_mmseg_config_and_default_shape(tool, capsys):
    cfg = Config.fromfile(SEG_CFG)
    assert tool.default_shape(cfg) == (64, 64)  # its crop_size
    assert tool.default_shape(Config(dict(crop_size=321))) == (321, 321)
    assert tool.default_shape(Config()) == (512, 512)
    tool.main([SEG_CFG])
    out = capsys.readouterr().out
    assert 'Model: EncoderDecoder' in out and 'Input shape: (3, 64, 64)' in out
    info = tool.complexity(cfg)
    assert info['params'] == num_params(cfg)
    assert f'Flops: {info["flops_str"]}' in out
    with pytest.raises(SystemExit) as exc:
        tool.main([SEG_CFG, '--shape', '0', '8'])
    assert exc.value.code == 2
    assert 'H W > 0' in capsys.readouterr().err
