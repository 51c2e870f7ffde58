"""tools/model_converters/irn_official.py on a synthetic official IRN state
dict (the key layout of jiwoon-ahn/irn ``AffinityDisplacementLoss``, with
its duplicated modules and loss buffers) at a narrow width."""
from collections import OrderedDict

import pytest
import torch

from helpers import load_tool
from mmwsss.registry import MODELS
from mmwsss.utils import InvalidInputError

conv = load_tool('model_converters/irn_official.py', 'irn_official')


def build(base=8):
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='IRNet',
        backbone=dict(type='ResNet50Stages', base_channels=base),
        head=dict(type='IRNHead',
                  in_channels=tuple(base * m for m in (1, 4, 8, 16, 32))),
        loss=dict(type='AffinityDisplacementLoss', crop_size=None)))


def official_state(model):
    """What the official Net saves for the same weights."""
    state = OrderedDict()
    backbone = model.backbone.state_dict()
    for k, v in backbone.items():
        if not k.endswith('num_batches_tracked'):  # 2017-style trunk
            state[f'resnet50.{k}'] = v
    stages = {'stage1': ('conv1', 'bn1'), 'stage2': ('layer1', ),
              'stage3': ('layer2', ), 'stage4': ('layer3', ),
              'stage5': ('layer4', )}
    for i, (stage, mods) in enumerate(stages.items()):
        for j, mod in enumerate(mods):
            for k, v in backbone.items():
                if k.startswith(mod + '.'):
                    rest = k[len(mod) + 1:]
                    if stage == 'stage1':
                        state[f'{stage}.{j}.{rest}'] = v
                        state[f'backbone.{i}.{j}.{rest}'] = v
                    else:
                        state[f'{stage}.0.{rest}'] = v
                        state[f'backbone.{i}.0.{rest}'] = v
    head = model.head.state_dict()
    state['mean_shift.running_mean'] = head['mean_shift.running_mean']
    for k, v in head.items():
        if k.startswith('fc_'):
            state[k] = v
            name, rest = k.split('.', 1)
            n = int(name[-1]) - 1
            group = 'edge_layers' if 'edge' in name else 'dp_layers'
            state[f'{group}.{n}.{rest}'] = v
    state['path_indices0'] = torch.zeros(2, 2, 5, dtype=torch.long)
    state['disp_target'] = torch.zeros(1, 2, 152, 1)
    return OrderedDict(('module.' + k, v) for k, v in state.items())


def test_convert_round_trip(tmp_path):
    model = build()
    model.head.mean_shift.running_mean.copy_(torch.tensor([0.5, -0.25]))
    src, dst = str(tmp_path / 'res50_irn.pth'), str(tmp_path / 'out.pth')
    torch.save(official_state(model), src)
    assert conv.main([src, dst]) == 0
    state = torch.load(dst, weights_only=True)['state_dict']
    fresh = build()
    fresh.load_state_dict(state, strict=True)
    for k, v in model.state_dict().items():
        assert torch.equal(fresh.state_dict()[k], v), k
    assert torch.equal(fresh.head.fc_dp7[4].running_mean,
                       torch.tensor([0.5, -0.25]))


def test_key_mapping():
    assert conv.official_key_to_mmwsss('resnet50.layer1.0.conv1.weight') == \
        'backbone.layer1.0.conv1.weight'
    assert conv.official_key_to_mmwsss('fc_dp7.3.weight') == \
        'head.fc_dp7.3.weight'
    for dropped in ('stage3.0.0.conv1.weight', 'edge_layers.5.bias',
                    'path_indices12', 'disp_target', 'resnet50.fc.bias'):
        assert conv.official_key_to_mmwsss(dropped) == ''
    assert conv.official_key_to_mmwsss('classifier.weight') is None


def test_bad_input(tmp_path):
    state = official_state(build())
    state['module.classifier.weight'] = torch.zeros(1)
    with pytest.raises(InvalidInputError, match='classifier.weight'):
        conv.convert_state(state)
    state.pop('module.classifier.weight')
    state.pop('module.resnet50.layer2.0.conv2.weight')
    with pytest.raises(InvalidInputError, match='layer2.0.conv2'):
        conv.convert_state(state)
    assert conv.main([str(tmp_path / 'none.pth'),
                      str(tmp_path / 'x.pth')]) == 2
