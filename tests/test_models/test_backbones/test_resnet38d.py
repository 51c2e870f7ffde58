"""Tests for ResNet38d (the ResNet-38d trunk of PSA, SEAM, AEFT and ACR)."""
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmwsss.models.backbones import (
    ResNet38d,
    ResNet38dBasicBlock,
    ResNet38dBottleneck,
)
from mmwsss.models.backbones import resnet38d as r38_module
from mmwsss.registry import MODELS
from mmwsss.utils import InvalidInputError, MissingInputError

FULL_TRUNK_PARAMS = 105_070_912
OFFICIAL_FROZEN = ('conv1a', 'b2', 'b2_1', 'b2_2')

# Layout: (name, kind, c_in, c_mid, c_out, stride, dil1, dil).
# For bottlenecks c_mid is unused (out/4 and out/2 inside).
LAYOUT = ([('b2', 'basic', 64, 128, 128, 2, 1, 1)] +
          [(f'b2_{k}', 'basic', 128, 128, 128, 1, 1, 1) for k in (1, 2)] +
          [('b3', 'basic', 128, 256, 256, 2, 1, 1)] +
          [(f'b3_{k}', 'basic', 256, 256, 256, 1, 1, 1) for k in (1, 2)] +
          [('b4', 'basic', 256, 512, 512, 2, 1, 1)] +
          [(f'b4_{k}', 'basic', 512, 512, 512, 1, 1, 1) for k in range(1, 6)] +
          [('b5', 'basic', 512, 512, 1024, 1, 1, 2)] +
          [(f'b5_{k}', 'basic', 1024, 512, 1024, 1, 2, 2) for k in (1, 2)] +
          [('b6', 'bottleneck', 1024, None, 2048, 1, 4, 4),
           ('b7', 'bottleneck', 2048, None, 4096, 1, 4, 4)])


def _scaled(c, width):
    return max(8, int(round(c * width / 8)) * 8)


def count_params_from_spec(width=1.0):
    """Independent parameter count from the LAYOUT table."""
    total = 3 * _scaled(64, width) * 9 + 2 * _scaled(4096, width)
    for _, kind, c_in, c_mid, c_out, stride, _, _ in LAYOUT:
        i, o = _scaled(c_in, width), _scaled(c_out, width)
        if kind == 'basic':
            m = _scaled(c_mid, width)
            total += 2 * i + 9 * i * m + 2 * m + 9 * m * o
            total += i * o if (i != o or stride != 1) else 0
        else:
            q, h = o // 4, o // 2
            total += 2 * i + i * q + 2 * q + 9 * q * h + 2 * h + h * o + i * o
    return total


def official_state_keys():
    """State-dict keys of the official PyTorch port, from the spec."""
    bn = ('weight', 'bias', 'running_mean', 'running_var',
          'num_batches_tracked')
    keys = ['conv1a.weight']
    for name, kind, c_in, _, c_out, stride, _, _ in LAYOUT:
        parts = ['2a', '2b1'] + (['2b2'] if kind == 'bottleneck' else [])
        for p in parts:
            keys += [f'{name}.bn_branch{p}.{f}' for f in bn]
            keys.append(f'{name}.conv_branch{p}.weight')
        if kind == 'bottleneck' or c_in != c_out or stride != 1:
            keys.append(f'{name}.conv_branch1.weight')
    keys += [f'bn7.{f}' for f in bn]
    return keys


def trunk_params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.fixture(scope='module')
def full_model():
    torch.manual_seed(0)
    return ResNet38d()  # built once: 105M parameters, never run forward


def test_full_width_parameter_count(full_model):
    assert count_params_from_spec(1.0) == FULL_TRUNK_PARAMS
    assert trunk_params(full_model) == FULL_TRUNK_PARAMS
    assert full_model.out_channels['final'] == 4096


def test_full_width_layout_strides_dilations(full_model):
    m = full_model
    assert m.conv1a.in_channels == 3 and m.conv1a.out_channels == 64
    assert m.conv1a.stride == (1, 1) and m.conv1a.bias is None
    for name, kind, c_in, c_mid, c_out, stride, dil1, dil in LAYOUT:
        block = getattr(m, name)
        if kind == 'basic':
            assert isinstance(block, ResNet38dBasicBlock)
            first, second = block.conv_branch2a, block.conv_branch2b1
            assert first.kernel_size == (3, 3) and second.kernel_size == (3,
                                                                          3)
            assert (first.in_channels, first.out_channels) == (c_in, c_mid)
            assert (second.in_channels, second.out_channels) == (c_mid,
                                                                 c_out)
            assert first.stride == (stride, stride)
            assert first.dilation == (dil1, dil1) == first.padding
            assert second.dilation == (dil, dil) == second.padding
            assert second.stride == (1, 1)
            has_proj = c_in != c_out or stride != 1
            assert hasattr(block, 'conv_branch1') == has_proj
        else:
            assert isinstance(block, ResNet38dBottleneck)
            assert block.conv_branch2a.kernel_size == (1, 1)
            assert block.conv_branch2a.out_channels == c_out // 4
            assert block.conv_branch2b1.kernel_size == (3, 3)
            assert block.conv_branch2b1.out_channels == c_out // 2
            assert block.conv_branch2b1.dilation == (4, 4)
            assert block.conv_branch2b1.padding == (4, 4)
            assert block.conv_branch2b2.out_channels == c_out
            assert block.conv_branch1.in_channels == c_in
        if hasattr(block, 'conv_branch1'):
            assert block.conv_branch1.kernel_size == (1, 1)
            assert block.conv_branch1.stride == (stride, stride)
    for conv in m.modules():
        if isinstance(conv, nn.Conv2d):
            assert conv.bias is None
    for bn in m.modules():
        if isinstance(bn, nn.BatchNorm2d):
            assert bn.eps == 1e-5
    assert m.bn7.num_features == 4096


def test_official_key_names_load_strictly(full_model):
    assert list(full_model.state_dict()) == official_state_keys()
    small = ResNet38d(width_mult=0.125)
    keys = official_state_keys()
    assert list(small.state_dict()) == keys
    state = {k: torch.rand_like(v.float()).to(v.dtype)
             for k, v in small.state_dict().items()}
    # Without num_batches_tracked (as converted MXNet weights) too.
    plain = {k: v for k, v in state.items()
             if not k.endswith('num_batches_tracked')}
    other = ResNet38d(width_mult=0.125)
    other.load_state_dict(plain, strict=True)
    for k, v in plain.items():
        assert torch.equal(other.state_dict()[k], v)


def test_reduced_width_parameter_count():
    for width in (0.0625, 0.125, 0.25):
        model = ResNet38d(width_mult=width)
        assert trunk_params(model) == count_params_from_spec(width)
    assert trunk_params(ResNet38d(width_mult=0.125)) == 1_647_144
    small = ResNet38d(width_mult=0.125)
    assert small.conv1a.out_channels == 8
    assert small.out_channels == dict(
        stage2=16, stage3=32, stage4=64, b5_in=64, stage5=128, b6_in=128,
        final=512)


@pytest.mark.parametrize('size, feat', [((320, 320), (40, 40)),
                                        ((333, 500), (42, 63)),
                                        ((65, 47), (9, 6))])
def test_output_shape(size, feat):
    torch.manual_seed(0)
    model = ResNet38d(width_mult=0.125).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, *size))
    assert isinstance(out, tuple) and len(out) == 1
    assert out[0].shape == (1, 512, *feat)
    assert feat == tuple(math.ceil(s / 8) for s in size)
    assert (out[0] >= 0).all()  # ReLU(bn7)


def test_out_indices_named_outputs():
    model = ResNet38d(width_mult=0.125, out_indices=range(7)).eval()
    x = torch.randn(2, 3, 65, 47)
    with torch.no_grad():
        outs = model(x)
    sizes = [(33, 24), (17, 12), (9, 6), (9, 6), (9, 6), (9, 6), (9, 6)]
    chans = [16, 32, 64, 64, 128, 128, 512]
    for out, c, s in zip(outs, chans, sizes):
        assert out.shape == (2, c, *s)
    # b5_in / b6_in are the BN-ReLU'd inputs of b5 / b6.
    with torch.no_grad():
        expect_b5 = F.relu(model.b5.bn_branch2a(outs[2]))
        expect_b6 = F.relu(model.b6.bn_branch2a(outs[4]))
    torch.testing.assert_close(outs[3], expect_b5)
    torch.testing.assert_close(outs[5], expect_b6)
    # By name, negative indices, AffinityNet's selection.
    aff = ResNet38d(width_mult=0.125, out_indices=('b5_in', 'b6_in', -1))
    aff.load_state_dict(model.state_dict())
    aff.eval()
    with torch.no_grad():
        got = aff(x)
    assert aff.out_names == ('b5_in', 'b6_in', 'final')
    for a, b in zip(got, (outs[3], outs[5], outs[6])):
        torch.testing.assert_close(a, b)


def test_bad_arguments():
    with pytest.raises(ValueError):
        ResNet38d(width_mult=0.125, out_indices=(7, ))
    with pytest.raises(ValueError):
        ResNet38d(width_mult=0.125, out_indices=('conv6', ))
    with pytest.raises(ValueError):
        ResNet38d(width_mult=0.125, frozen_stages=('b8', ))
    with pytest.raises(ValueError):
        ResNet38d(width_mult=0.125, frozen_stages='b2')
    with pytest.raises(ValueError):
        ResNet38d(width_mult=0.0)
    with pytest.raises(ValueError):
        ResNet38d(width_mult=0.125, dropout=(0.2, ))
    with pytest.raises(ValueError):
        ResNet38d(width_mult=0.125, dropout=(0.2, 1.0))


def test_build_from_registry_and_syncbn():
    model = MODELS.build(
        dict(type='ResNet38d', width_mult=0.125, dropout=(0.3, 0.5)))
    assert isinstance(model, ResNet38d)
    assert model.b6.dropout_2b1.p == 0.3 and model.b7.dropout_2b2.p == 0.5
    sync = ResNet38d(width_mult=0.125, norm_cfg=dict(type='SyncBN'))
    assert isinstance(sync.bn7, nn.SyncBatchNorm)
    assert isinstance(sync.b4_5.bn_branch2b1, nn.SyncBatchNorm)


def test_frozen_stages_stay_frozen_after_step():
    torch.manual_seed(0)
    model = ResNet38d(width_mult=0.125, frozen_stages=OFFICIAL_FROZEN)
    model.train()
    for name in OFFICIAL_FROZEN:
        module = getattr(model, name)
        assert not module.training
        assert all(not p.requires_grad for p in module.parameters())
    assert model.b3.conv_branch2a.weight.requires_grad
    # frozen_bn_affine (default): no BN weight/bias is trainable.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            assert not m.weight.requires_grad and not m.bias.requires_grad
    before = {k: v.clone() for k, v in model.state_dict().items()}
    # mmengine puts every parameter in the optimizer; frozen ones get no grad
    opt = torch.optim.SGD(
        model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    out, = model(torch.randn(2, 3, 32, 32))
    out.mean().backward()
    opt.step()
    after = model.state_dict()
    for key, value in before.items():
        frozen = key.split('.')[0] in OFFICIAL_FROZEN or '.bn' in key \
            or key.startswith('bn7')
        assert torch.equal(after[key], value) == frozen, key


def test_nothing_frozen_and_trainable_bn_affine():
    model = ResNet38d(width_mult=0.125, frozen_bn_affine=False)
    assert all(p.requires_grad for p in model.parameters())
    model.train()
    assert model.conv1a.training and model.b2.training


def test_norm_eval_keeps_running_stats():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 32, 32)
    model = ResNet38d(width_mult=0.125, norm_eval=True).train()
    assert model.training
    assert all(not m.training for m in model.modules()
               if isinstance(m, nn.BatchNorm2d))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model(x)
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key
    live = ResNet38d(width_mult=0.125, norm_eval=False).train()
    assert live.b3.bn_branch2a.training
    mean0 = live.b3.bn_branch2a.running_mean.clone()
    live(x)
    assert not torch.equal(live.b3.bn_branch2a.running_mean, mean0)


def test_dropout_only_in_train_mode():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 24, 24)
    model = ResNet38d(width_mult=0.125, dropout=(0.5, 0.5))
    model.train()
    assert model.b6.dropout_2b1.training
    with torch.no_grad():
        a, = model(x)
        b, = model(x)
    assert not torch.equal(a, b)
    model.eval()
    with torch.no_grad():
        c, = model(x)
        d, = model(x)
    assert torch.equal(c, d)
    plain = ResNet38d(width_mult=0.125).train()  # dropout (0, 0)
    with torch.no_grad():
        assert torch.equal(plain(x)[0], plain(x)[0])


# ---------------------------------------------------------------- blocks ---
def _randomise(module):
    """Random weights and running statistics, float64, eval mode."""
    module.double().eval()
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if name.endswith('running_var'):
                tensor.copy_(torch.rand_like(tensor) + 0.5)
            elif not name.endswith('num_batches_tracked'):
                tensor.copy_(torch.randn_like(tensor) * 0.3)
    return module


def _bn_relu(x, sd, prefix):
    return F.relu(
        F.batch_norm(x, sd[f'{prefix}.running_mean'],
                     sd[f'{prefix}.running_var'], sd[f'{prefix}.weight'],
                     sd[f'{prefix}.bias'], False, 0.0, 1e-5))


def _reference_basic(x, sd, stride, dil1, dil):
    a = _bn_relu(x, sd, 'bn_branch2a')
    main = F.conv2d(a, sd['conv_branch2a.weight'], stride=stride,
                    padding=dil1, dilation=dil1)
    main = _bn_relu(main, sd, 'bn_branch2b1')
    main = F.conv2d(main, sd['conv_branch2b1.weight'], padding=dil,
                    dilation=dil)
    short = (F.conv2d(a, sd['conv_branch1.weight'], stride=stride)
             if 'conv_branch1.weight' in sd else x)
    return short + main, a


def _reference_bottleneck(x, sd, dil):
    a = _bn_relu(x, sd, 'bn_branch2a')
    main = _bn_relu(F.conv2d(a, sd['conv_branch2a.weight']), sd,
                    'bn_branch2b1')
    main = F.conv2d(main, sd['conv_branch2b1.weight'], padding=dil,
                    dilation=dil)
    main = F.conv2d(_bn_relu(main, sd, 'bn_branch2b2'),
                    sd['conv_branch2b2.weight'])
    return F.conv2d(a, sd['conv_branch1.weight']) + main, a


@pytest.mark.parametrize(
    'c_in, c_mid, c_out, stride, dil1, dil, proj',
    [
        (8, 12, 16, 2, 1, 1, True),  # first block of b2/b3/b4
        (16, 8, 16, 1, 2, 2, False),  # b5_1-style, dilation 2, identity
        (8, 8, 16, 1, 1, 2, True),  # b5-style, first dilation 1
    ])
def test_basic_block_matches_reference(c_in, c_mid, c_out, stride, dil1, dil,
                                       proj):
    torch.manual_seed(0)
    block = _randomise(
        ResNet38dBasicBlock(c_in, c_mid, c_out, stride=stride,
                            first_dilation=dil1, dilation=dil))
    names = {k.rsplit('.', 1)[0] for k in block.state_dict()}
    assert ('conv_branch1' in names) == proj
    assert names - {'conv_branch1'} == {'bn_branch2a', 'conv_branch2a',
                                        'bn_branch2b1', 'conv_branch2b1'}
    x = torch.randn(2, c_in, 11, 9, dtype=torch.float64)
    sd = block.state_dict()
    expect, expect_a = _reference_basic(x, sd, stride, dil1, dil)
    out, act = block(x, return_bn_relu=True)
    assert out.shape == (2, c_out, math.ceil(11 / stride),
                         math.ceil(9 / stride))
    torch.testing.assert_close(out, expect, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(act, expect_a, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(block(x), expect, rtol=1e-12, atol=1e-12)


def test_bottleneck_matches_reference():
    torch.manual_seed(0)
    block = _randomise(ResNet38dBottleneck(16, 32, dilation=4, dropout=0.3))
    assert {k.rsplit('.', 1)[0] for k in block.state_dict()} == {
        'bn_branch2a', 'conv_branch2a', 'bn_branch2b1', 'conv_branch2b1',
        'bn_branch2b2', 'conv_branch2b2', 'conv_branch1'
    }
    x = torch.randn(2, 16, 10, 7, dtype=torch.float64)
    expect, expect_a = _reference_bottleneck(x, block.state_dict(), 4)
    out, act = block(x, return_bn_relu=True)  # eval mode: no dropout
    assert out.shape == (2, 32, 10, 7)
    torch.testing.assert_close(out, expect, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(act, expect_a, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------ pretrained ---
def _pretrained(path, **kwargs):
    return ResNet38d(
        width_mult=0.125,
        init_cfg=dict(type='Pretrained', checkpoint=str(path), **kwargs))


def test_missing_pretrained_file_names_the_fix(tmp_path):
    path = tmp_path / 'pretrained' / 'resnet38d_imagenet.pth'
    model = _pretrained(path)
    with pytest.raises(MissingInputError) as info:
        model.init_weights()
    msg = str(info.value)
    assert str(path) in msg
    assert 'ilsvrc-cls_rna-a1_cls1000_ep-0001.params' in msg
    assert 'resnet_38d.params' in msg
    assert 'tools/model_converters/resnet38d_mxnet.py' in msg
    assert isinstance(info.value, FileNotFoundError)


def test_pretrained_loads_and_logs_extra_keys(tmp_path, monkeypatch):
    torch.manual_seed(0)
    source = ResNet38d(width_mult=0.125)
    state = {k: v.clone() for k, v in source.state_dict().items()}
    state['fc8.weight'] = torch.zeros(20, 512, 1, 1)
    path = tmp_path / 'r38.pth'
    torch.save(dict(state_dict=state, meta=dict(note='test')), path)
    logged = []
    monkeypatch.setattr(r38_module, 'print_log',
                        lambda msg, *a, **k: logged.append(msg))
    torch.manual_seed(1)
    model = _pretrained(path)
    model.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
    assert any('fc8.weight' in m for m in logged)
    # With a prefix (full-model checkpoint).
    prefixed = tmp_path / 'full.pth'
    torch.save(
        dict(state_dict={f'backbone.{k}': v for k, v in state.items()}),
        prefixed)
    model = _pretrained(prefixed, prefix='backbone.')
    model.init_weights()
    assert torch.equal(model.b7.conv_branch2b1.weight,
                       source.b7.conv_branch2b1.weight)


def test_pretrained_incomplete_or_wrong_width_is_an_error(tmp_path):
    state = ResNet38d(width_mult=0.125).state_dict()
    partial = {k: v for k, v in state.items() if not k.startswith('b7.')}
    path = tmp_path / 'partial.pth'
    torch.save(dict(state_dict=partial), path)
    with pytest.raises(InvalidInputError, match='b7.'):
        _pretrained(path).init_weights()
    wide = tmp_path / 'wide.pth'
    torch.save(dict(state_dict=ResNet38d(width_mult=0.25).state_dict()),
               wide)
    with pytest.raises(InvalidInputError, match='shape'):
        _pretrained(wide).init_weights()
