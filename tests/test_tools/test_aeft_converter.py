"""tools/model_converters/aeft_official.py on a synthetic official state
dict: the trunk of a 1/16-width ResNet38d plus fc8/fc9/gconv*/bn8 tensors
with the official names and shapes (KAIST-vilab/AEFT)."""
import os.path as osp
from collections import OrderedDict

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

from helpers import ROOT, load_tool
from mmwsss.models.backbones import ResNet38d
from mmwsss.models.heads.gpp_head import GPPHead
from mmwsss.registry import MODELS
from mmwsss.utils import InvalidInputError, MissingInputError

conv = load_tool('model_converters/aeft_official.py', 'aeft_official')

WIDTH = 0.0625
C = int(4096 * WIDTH)  # trunk channels (256)
D = 256  # fc8 output, as in the official code
K = 20  # VOC classes

HEAD_MAP = {
    'fc8.weight': 'head.hidden.weight',
    'fc9.weight': 'head.classifier.weight',
}
for _i in (1, 2, 3):
    HEAD_MAP[f'gconv{_i}.att_p.0.weight'] = f'head.gates.{_i - 1}.pos_gate' \
        '.weight'
    HEAD_MAP[f'gconv{_i}.att_n.0.weight'] = f'head.gates.{_i - 1}.neg_gate' \
        '.weight'
BN8 = ['bn8.weight', 'bn8.bias', 'bn8.running_mean', 'bn8.running_var',
       'bn8.num_batches_tracked']


def official_shapes(width=WIDTH, hidden=D, num_classes=K):
    """Official ``Net_gpp`` key -> shape."""
    with torch.device('meta'):
        trunk = ResNet38d(width_mult=width).state_dict()
    shapes = OrderedDict((k, tuple(v.shape)) for k, v in trunk.items())
    channels = int(4096 * width)
    for key in HEAD_MAP:
        shapes[key] = (2, 2 * num_classes, 3, 3)
    shapes['fc8.weight'] = (hidden, channels, 1, 1)
    shapes['fc9.weight'] = (num_classes, hidden, 1, 1)
    for key in BN8:
        shapes[key] = () if key.endswith('tracked') else (hidden, )
    return shapes


def official_state_dict(prefix='', hidden=D, num_classes=K):
    """Random tensors under the official ``Net_gpp`` names."""
    gen = torch.Generator().manual_seed(0)
    sd = OrderedDict()
    for key, shape in official_shapes(WIDTH, hidden, num_classes).items():
        sd[prefix + key] = (
            torch.tensor(7) if key.endswith('num_batches_tracked') else
            torch.rand(shape, generator=gen))
    return sd


def _build_from_config(name, device):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'aeft', f'{name}.py'))
    cfg.model.backbone.init_cfg = None
    cfg.model.pop('init_cfg', None)
    with torch.device(device):
        return MODELS.build(cfg.model)


def test_key_mapping():
    sd = official_state_dict()
    out = conv.convert_aeft_state_dict(sd)
    trunk = [k for k in sd if k not in HEAD_MAP and k not in BN8]
    assert len(trunk) == len(ResNet38d(width_mult=WIDTH).state_dict())
    expected = {f'backbone.{k}': k for k in trunk}
    expected.update({v: k for k, v in HEAD_MAP.items()})
    assert set(out) == set(expected)
    assert not any(k.startswith(('bn8', 'head.bn8')) for k in out)
    for new, old in expected.items():
        assert torch.equal(out[new], sd[old]), new
        assert out[new].dtype == sd[old].dtype
    assert out['backbone.bn7.num_batches_tracked'].item() == \
        sd['bn7.num_batches_tracked'].item()
    assert conv.official_key_to_mmwsss('b4_5.conv_branch2b1.weight') == \
        'backbone.b4_5.conv_branch2b1.weight'
    assert conv.official_key_to_mmwsss('bn8.weight') == ''
    assert conv.official_key_to_mmwsss('fc8.bias') is None


def test_module_prefix_and_wrapper():
    plain = conv.convert_aeft_state_dict(official_state_dict())
    for sd in (official_state_dict('module.'),
               dict(state_dict=official_state_dict('module.'))):
        out = conv.convert_aeft_state_dict(sd)
        assert list(out) == list(plain)
        assert all(torch.equal(out[k], plain[k]) for k in plain)


def test_report():
    _, report = conv.convert_with_report(official_state_dict())
    assert report['dropped'] == BN8
    assert report['added'] == []
    assert (report['num_classes'], report['hidden_channels']) == (K, D)
    assert report['width_mult'] == WIDTH


def test_loads_strictly_into_backbone_and_head():
    out = conv.convert_aeft_state_dict(official_state_dict())
    backbone = ResNet38d(width_mult=WIDTH)
    backbone.load_state_dict(
        {k[len('backbone.'):]: v for k, v in out.items()
         if k.startswith('backbone.')}, strict=True)
    head = GPPHead(num_classes=K, in_channels=C, hidden_channels=D)
    head.load_state_dict(
        {k[len('head.'):]: v for k, v in out.items() if k.startswith('head.')},
        strict=True)
    # the gates are in official order: gconv1 merges P2 with P4
    assert torch.equal(head.gates[0].pos_gate.weight,
                       official_state_dict()['gconv1.att_p.0.weight'])

    # the whole dict into a backbone + head container (the attribute names
    # of CAMClassifier/AEFTClassifier)
    model = nn.Module()
    model.backbone, model.head = backbone, head
    model.load_state_dict(out, strict=True)


def test_missing_num_batches_tracked_filled():
    sd = official_state_dict()
    dropped = [k for k in sd if k.endswith('num_batches_tracked')
               and not k.startswith('bn8')]
    for key in dropped:
        del sd[key]
    out, report = conv.convert_with_report(sd)
    assert report['added'] == dropped
    assert out['backbone.bn7.num_batches_tracked'].item() == 0
    ResNet38d(width_mult=WIDTH).load_state_dict(
        {k[9:]: v for k, v in out.items() if k.startswith('backbone.')})


def test_unknown_keys_raise():
    sd = official_state_dict()
    sd['fc8.bias'] = torch.zeros(D)
    sd['aff.weight'] = torch.zeros(1)
    with pytest.raises(InvalidInputError, match='aff.weight') as exc:
        conv.convert_aeft_state_dict(sd)
    assert 'fc8.bias' in str(exc.value)

    converted = conv.convert_aeft_state_dict(official_state_dict())
    with pytest.raises(InvalidInputError, match='mmwsss keys already'):
        conv.convert_aeft_state_dict(converted)


def test_missing_and_inconsistent_tensors_raise():
    sd = official_state_dict()
    del sd['gconv3.att_n.0.weight']
    with pytest.raises(InvalidInputError, match='gconv3.att_n.0.weight'):
        conv.convert_aeft_state_dict(sd)

    sd = official_state_dict()
    del sd['b3_1.conv_branch2a.weight']
    with pytest.raises(InvalidInputError, match='b3_1.conv_branch2a'):
        conv.convert_aeft_state_dict(sd)

    sd = official_state_dict()
    sd['fc9.weight'] = torch.zeros(K, D + 1, 1, 1)
    with pytest.raises(InvalidInputError, match='fc9.weight'):
        conv.convert_aeft_state_dict(sd)

    sd = official_state_dict()  # gates built for 80 classes, fc9 for 20
    sd['gconv2.att_p.0.weight'] = torch.zeros(2, 160, 3, 3)
    with pytest.raises(InvalidInputError, match=r'\(2, 40, 3, 3\)'):
        conv.convert_aeft_state_dict(sd)

    sd = official_state_dict()
    sd['b2.conv_branch2a.weight'] = torch.zeros(1, 1, 3, 3)
    with pytest.raises(InvalidInputError, match='shapes inconsistent'):
        conv.convert_aeft_state_dict(sd)

    sd = official_state_dict()
    sd['fc8.weight'] = 'not a tensor'
    with pytest.raises(InvalidInputError, match='not tensors'):
        conv.convert_aeft_state_dict(sd)


def test_convert_file(tmp_path, capsys):
    src = tmp_path / 'official.pth'
    torch.save(official_state_dict('module.'), str(src))
    dst = tmp_path / 'out' / 'aeft_converted.pth'
    assert conv.main([str(src), str(dst)]) == 0
    text = capsys.readouterr().out
    assert 'bn8' in text and 'never uses' in text
    assert f'saved {dst}' in text

    saved = torch.load(str(dst), map_location='cpu', weights_only=True)
    assert set(saved) == {'state_dict', 'meta'}
    expected = conv.convert_aeft_state_dict(official_state_dict())
    assert list(saved['state_dict']) == list(expected)
    meta = saved['meta']
    assert meta['dropped_keys'] == BN8
    assert (meta['num_classes'], meta['hidden_channels']) == (K, D)
    assert meta['source'] == 'official.pth'
    assert len(meta['source_sha256']) == 64

    assert conv.main([str(tmp_path / 'nope.pth'), str(dst)]) == 2
    assert 'not found' in capsys.readouterr().err
    with pytest.raises(MissingInputError):
        conv.convert(str(tmp_path / 'nope.pth'), str(dst))
    junk = tmp_path / 'junk.pth'
    junk.write_bytes(b'junk')
    with pytest.raises(InvalidInputError, match='not a readable'):
        conv.convert(str(junk), str(dst))


def test_mapping_matches_aeft_voc_config():
    """Key by key and shape by shape, the full-width official model maps
    onto the AEFTClassifier of configs/aeft/aeft_gpp_r38_voc.py (built on
    the meta device: no memory, no weights)."""
    model = _build_from_config('aeft_gpp_r38_voc', 'meta')
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    mapped = {}
    for key, shape in official_shapes(1.0, 256, 20).items():
        target = conv.official_key_to_mmwsss(key)
        assert target is not None, key
        if target:
            mapped[target] = shape
    assert mapped == expected


def test_loads_strictly_into_aeft_toy_model():
    model = _build_from_config('aeft_gpp_r38tiny_toy', 'cpu')
    hidden, num_classes = model.head.hidden.out_channels, \
        model.head.num_classes
    sd = official_state_dict('module.', hidden, num_classes)
    out = conv.convert_aeft_state_dict(sd)
    model.load_state_dict(out, strict=True)
    assert torch.equal(model.head.gates[2].neg_gate.weight,
                       sd['module.gconv3.att_n.0.weight'])
    assert torch.equal(model.backbone.b7.conv_branch1.weight,
                       sd['module.b7.conv_branch1.weight'])
