"""Tests for tools/model_converters/resnet38d_mxnet.py.

The MXNet files are written by ``tests/mxnet_params_writer.py`` (no mxnet
needed), with the official ademxapp names for a width-reduced ResNet-38d;
the reader's own tests are in ``tests/test_fileio/test_mxnet_params.py``.
"""
import struct

import numpy as np
import pytest
import torch

from helpers import load_tool
from mmwsss.models.backbones import ResNet38d
from mmwsss.utils import InvalidInputError, MissingInputError
from mxnet_params_writer import write_params

conv = load_tool('model_converters/resnet38d_mxnet.py', 'resnet38d_mxnet')

WIDTH = 0.125


def official_mxnet_names():
    """The ademxapp model A1 names, written by hand."""
    blocks = [('2a', 'proj'), ('2b1', ''), ('2b2', ''), ('3a', 'proj'),
              ('3b1', ''), ('3b2', ''), ('4a', 'proj')]
    blocks += [(f'4b{n}', '') for n in range(1, 6)]
    blocks += [('5a', 'proj'), ('5b1', ''), ('5b2', ''), ('6a', 'bottle'),
               ('7a', 'bottle')]
    stats = ('gamma', 'beta', 'moving_mean', 'moving_var')

    def bn(prefix):
        return [(f'arg:{prefix}_{s}' if s in ('gamma', 'beta') else
                 f'aux:{prefix}_{s}') for s in stats]

    names = ['arg:conv1a_weight']
    for block, kind in blocks:
        branches = ['2a', '2b1'] + (['2b2'] if kind == 'bottle' else [])
        for b in branches:
            names += bn(f'bn{block}_branch{b}')
            names.append(f'arg:res{block}_branch{b}_weight')
        if kind:
            names.append(f'arg:res{block}_branch1_weight')
    names += bn('bn7')
    names += ['arg:linear1000_weight', 'arg:linear1000_bias']
    return names


def synthetic_arrays(seed=0, width=WIDTH):
    """Random arrays with official names and shapes of a reduced trunk."""
    shapes = {k: tuple(v.shape)
              for k, v in ResNet38d(width_mult=width).state_dict().items()}
    rng = np.random.default_rng(seed)
    arrays = {}
    for name in official_mxnet_names():
        target = conv.mxnet_key_to_torch(name)
        shape = shapes[target] if target else (
            (10, shapes['bn7.weight'][0]) if name.endswith('weight') else
            (10, ))
        arrays[name] = rng.standard_normal(shape).astype(np.float32)
    return arrays


def test_key_mapping_examples():
    m = conv.mxnet_key_to_torch
    assert m('arg:conv1a_weight') == 'conv1a.weight'
    assert m('arg:res2a_branch1_weight') == 'b2.conv_branch1.weight'
    assert m('arg:res2a_branch2a_weight') == 'b2.conv_branch2a.weight'
    # branch2b1 = second 3x3 conv of a basic block / BN in front of it.
    assert m('arg:res2a_branch2b1_weight') == 'b2.conv_branch2b1.weight'
    assert m('arg:bn2a_branch2b1_gamma') == 'b2.bn_branch2b1.weight'
    assert m('arg:bn2a_branch2a_beta') == 'b2.bn_branch2a.bias'
    assert m('aux:bn4b5_branch2a_moving_mean') == \
        'b4_5.bn_branch2a.running_mean'
    assert m('aux:bn5b2_branch2b1_moving_var') == \
        'b5_2.bn_branch2b1.running_var'
    assert m('res4b3_branch2b1_weight') == 'b4_3.conv_branch2b1.weight'
    assert m('arg:res6a_branch2b2_weight') == 'b6.conv_branch2b2.weight'
    assert m('arg:bn7a_branch2b2_gamma') == 'b7.bn_branch2b2.weight'
    assert m('arg:bn7_gamma') == 'bn7.weight'
    assert m('aux:bn7_moving_var') == 'bn7.running_var'
    assert m('arg:linear1000_weight') == ''
    assert m('arg:linear1000_bias') == ''
    assert m('arg:fc8_weight') is None
    assert m('arg:res2a_branch2a_bias') is None


def test_official_names_cover_the_trunk():
    mapped = {conv.mxnet_key_to_torch(n) for n in official_mxnet_names()}
    mapped.discard('')
    trunk = {k for k in ResNet38d(width_mult=WIDTH).state_dict()
             if not k.endswith('num_batches_tracked')}
    assert mapped == trunk


def test_convert_round_trip_and_strict_load(tmp_path, capsys):
    arrays = synthetic_arrays()
    src, dst = tmp_path / 'resnet_38d.params', tmp_path / 'out' / 'r38.pth'
    write_params(src, arrays)
    assert conv.main([str(src), str(dst)]) == 0
    printed = capsys.readouterr().out
    n_trunk = len(arrays) - 2
    assert f'converted {n_trunk} tensors' in printed
    assert 'dropped 2 keys' in printed and 'linear1000_weight' in printed
    assert 'unmatched 0 keys' in printed
    ckpt = torch.load(dst, map_location='cpu', weights_only=True)
    assert ckpt['meta']['width_mult'] == WIDTH
    assert ckpt['meta']['num_tensors'] == n_trunk
    state = ckpt['state_dict']
    model = ResNet38d(width_mult=WIDTH)
    model.load_state_dict(state, strict=True)
    for name, value in arrays.items():
        target = conv.mxnet_key_to_torch(name)
        if target:
            assert torch.equal(model.state_dict()[target],
                               torch.from_numpy(value)), name
    # The backbone's Pretrained init_cfg reads the converted file.
    pretrained = ResNet38d(
        width_mult=WIDTH,
        init_cfg=dict(type='Pretrained', checkpoint=str(dst)))
    pretrained.init_weights()
    assert torch.equal(pretrained.b5_2.conv_branch2b1.weight,
                       model.b5_2.conv_branch2b1.weight)


def test_torch_checkpoint_passes_through(tmp_path):
    model = ResNet38d(width_mult=WIDTH)
    state = {f'module.{k}': v for k, v in model.state_dict().items()}
    state['module.fc8.weight'] = torch.zeros(20, 512, 1, 1)
    src, dst = tmp_path / 'res38_cls.pth', tmp_path / 'r38.pth'
    torch.save(state, src)
    meta = conv.convert(str(src), str(dst))
    assert meta['source_format'] == 'torch-state-dict'
    assert meta['dropped_keys'] == ['fc8.weight']
    out = torch.load(dst, map_location='cpu', weights_only=True)
    other = ResNet38d(width_mult=WIDTH)
    other.load_state_dict(out['state_dict'], strict=True)
    assert torch.equal(other.b3_1.conv_branch2a.weight,
                       model.b3_1.conv_branch2a.weight)


def test_truncated_and_corrupt_files(tmp_path, capsys):
    src = tmp_path / 'resnet_38d.params'
    write_params(src, synthetic_arrays())
    data = src.read_bytes()
    truncated = tmp_path / 'truncated.params'
    truncated.write_bytes(data[:len(data) // 2])
    with pytest.raises(InvalidInputError, match='truncated'):
        conv.convert(str(truncated), str(tmp_path / 'a.pth'))
    assert conv.main([str(truncated), str(tmp_path / 'a.pth')]) == 2
    err = capsys.readouterr().err
    assert 'truncated' in err and 'ilsvrc-cls_rna-a1' in err
    assert not (tmp_path / 'a.pth').exists()
    # A damaged array header inside an otherwise valid file.
    corrupt = bytearray(data)
    corrupt[24:28] = struct.pack('<I', 0x7FFFFFFF)  # first array's header
    bad = tmp_path / 'corrupt.params'
    bad.write_bytes(bytes(corrupt))
    with pytest.raises(InvalidInputError, match='corrupt'):
        conv.convert(str(bad), str(tmp_path / 'b.pth'))
    # Neither MXNet nor torch.
    junk = tmp_path / 'junk.params'
    junk.write_bytes(b'not a weights file at all')
    with pytest.raises(InvalidInputError):
        conv.convert(str(junk), str(tmp_path / 'c.pth'))


def test_missing_file(tmp_path, capsys):
    missing = tmp_path / 'nowhere' / 'resnet_38d.params'
    with pytest.raises(MissingInputError):
        conv.convert(str(missing), str(tmp_path / 'out.pth'))
    assert conv.main([str(missing), str(tmp_path / 'out.pth')]) == 2
    assert str(missing) in capsys.readouterr().err


def test_unmatched_and_missing_trunk_keys(tmp_path):
    arrays = synthetic_arrays()
    arrays['arg:mystery_weight'] = np.zeros(3, dtype=np.float32)
    src = tmp_path / 'extra.params'
    write_params(src, arrays)
    with pytest.raises(InvalidInputError, match='arg:mystery_weight'):
        conv.convert(str(src), str(tmp_path / 'out.pth'))
    arrays = synthetic_arrays()
    arrays['arg:res8a_branch2a_weight'] = np.zeros(3, dtype=np.float32)
    write_params(src, arrays)
    with pytest.raises(InvalidInputError, match='res8a_branch2a'):
        conv.convert(str(src), str(tmp_path / 'out.pth'))
    arrays = synthetic_arrays()
    del arrays['arg:res4b2_branch2b1_weight']
    write_params(src, arrays)
    with pytest.raises(InvalidInputError, match='b4_2.conv_branch2b1'):
        conv.convert(str(src), str(tmp_path / 'out.pth'))
