#!/usr/bin/env python
"""Convert the MXNet ImageNet ResNet-38d weights to a ``ResNet38d`` state dict.

Input: the ademxapp ImageNet model A1 (``ilsvrc-cls_rna-a1_cls1000_ep-0001
.params``, also distributed as ``resnet_38d.params``), read WITHOUT mxnet, or
a torch checkpoint that already uses the official PyTorch names
(``conv1a.weight``, ``b2.bn_branch2a.weight``, ...; e.g. PSA's
``res38_cls.pth``), whose trunk tensors are passed through unchanged.
Output: ``torch.save({'state_dict': ..., 'meta': {...}})`` with plain tensors
only (loads with ``weights_only=True``), for
``init_cfg=dict(type='Pretrained', checkpoint=<output>)``.

Usage::

    python tools/model_converters/resnet38d_mxnet.py \
        pretrained/resnet_38d.params pretrained/resnet38d_imagenet.pth

The MXNet file is read by :mod:`mmwsss.fileio.mxnet_params`; floating
point arrays are saved as float32.

Key mapping (ademxapp model A1 names), after dropping ``arg:``/``aux:``:
``conv1a_weight`` -> ``conv1a.weight``;
``res{S}a_branch{X}_weight`` -> ``b{S}.conv_branch{X}.weight``;
``res{S}b{n}_branch{X}_weight`` -> ``b{S}_{n}.conv_branch{X}.weight``;
``bn{S}a_branch{X}_{gamma,beta,moving_mean,moving_var}`` ->
``b{S}.bn_branch{X}.{weight,bias,running_mean,running_var}`` (``b{n}`` ->
``_{n}`` likewise); ``bn7_*`` -> ``bn7.*``; ``linear1000_*`` (the ImageNet
classifier) is dropped. ``X`` is 1 (projection shortcut), 2a (first conv /
pre-activation BN), 2b1 (second conv of a basic block, the 3x3 of a
bottleneck / the BN in front of it) or 2b2 (bottleneck only).
"""
import os.path as osp
import re
import struct
import sys
from collections import OrderedDict
from typing import Dict, Iterator, List, Optional, Tuple

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

import numpy as np
import torch

from mmwsss.fileio.converted_checkpoint import (
    converter_parser,
    load_state_dict,
    run_converter,
    save_converted,
)
from mmwsss.fileio.mxnet_params import LIST_MAGIC, read_mxnet_params
from mmwsss.fileio.weight_hints import WEIGHTS
from mmwsss.utils import InvalidInputError, MissingInputError

_FIX = ('Fix: re-download the ademxapp ImageNet model A1 '
        '(`ilsvrc-cls_rna-a1_cls1000_ep-0001.params`, also distributed as '
        '`resnet_38d.params`; the AEFT README notes a damaged upload of '
        'the latter) from ' + WEIGHTS['resnet38d']['download'] +
        ' and run this converter again.')

_BN_FIELDS = {
    'gamma': 'weight', 'beta': 'bias', 'moving_mean': 'running_mean',
    'moving_var': 'running_var'
}
_CONV_RE = re.compile(r'^res(\d+)(a|b(\d+))_branch([0-9a-z]+)_weight$')
_BN_RE = re.compile(r'^bn(\d+)(a|b(\d+))_branch([0-9a-z]+)_'
                    r'(gamma|beta|moving_mean|moving_var)$')
_BN7_RE = re.compile(r'^bn7_(gamma|beta|moving_mean|moving_var)$')
_DROPPED_RE = re.compile(r'^linear1000_')


def mxnet_key_to_torch(key: str) -> Optional[str]:
    """Map one official MXNet name to its ``ResNet38d`` key.

    Returns:
        str | None: the torch key, ``''`` for a dropped classifier key, or
        None when the name matches no rule.
    """
    key = re.sub(r'^(arg|aux):', '', key)
    if key == 'conv1a_weight':
        return 'conv1a.weight'
    if _DROPPED_RE.match(key):
        return ''
    m = _BN7_RE.match(key)
    if m:
        return f'bn7.{_BN_FIELDS[m.group(1)]}'
    for regex, kind in ((_CONV_RE, 'conv'), (_BN_RE, 'bn')):
        m = regex.match(key)
        if m:
            stage, _, index, branch = m.group(1, 2, 3, 4)
            block = f'b{stage}' if index is None else f'b{stage}_{index}'
            field = 'weight' if kind == 'conv' else _BN_FIELDS[m.group(5)]
            return f'{block}.{kind}_branch{branch}.{field}'
    return None


def _expected_trunk(reference: Dict[str, torch.Tensor]
                    ) -> Dict[str, torch.Size]:
    """All state-dict shapes of a ``ResNet38d`` whose width and input
    channels match ``reference`` (built on the meta device: no memory)."""
    from mmwsss.models.backbones.resnet38d import ResNet38d
    if 'bn7.running_mean' in reference:
        width = reference['bn7.running_mean'].shape[0] / 4096
    elif 'conv1a.weight' in reference:
        width = reference['conv1a.weight'].shape[0] / 64
    else:
        width = 1.0
    in_channels = (reference['conv1a.weight'].shape[1]
                   if 'conv1a.weight' in reference else 3)
    with torch.device('meta'):
        model = ResNet38d(in_channels=in_channels, width_mult=width)
    return OrderedDict((k, v.shape) for k, v in model.state_dict().items())


def _check_trunk(state: Dict[str, torch.Tensor], src: str) -> List[str]:
    """Check keys and shapes against ResNet38d.

    Returns:
        list[str]: keys of ``state`` that ResNet38d does not have.

    Raises:
        InvalidInputError: a trunk tensor is missing or has a wrong shape.
    """
    expected = _expected_trunk(state)
    missing = [
        k for k in expected
        if k not in state and not k.endswith('num_batches_tracked')
    ]
    if missing:
        raise InvalidInputError(
            f'{src}: {len(missing)} ResNet38d trunk tensors are missing: '
            f'{missing}. ' + _FIX)
    wrong = [(k, tuple(v.shape), tuple(expected[k]))
             for k, v in state.items()
             if k in expected and v.shape != expected[k]]
    if wrong:
        raise InvalidInputError(
            f'{src}: {len(wrong)} tensors have shapes inconsistent with a '
            f'ResNet38d (key, file, expected): {wrong[:10]}. ' + _FIX)
    return [k for k in state if k not in expected]


def convert_mxnet(path: str) -> Tuple[Dict[str, torch.Tensor], dict]:
    """Read an MXNet file and rename its arrays.

    Returns:
        tuple[OrderedDict, dict]: the state dict and a report with
        ``dropped`` (classifier keys) and ``format`` entries.

    Raises:
        InvalidInputError: unmatched names (listed), empty or duplicate
            trunk arrays, or keys/shapes that do not form a ResNet38d trunk.
    """
    arrays, info = read_mxnet_params(path, _FIX)
    state, dropped, unmatched = OrderedDict(), [], []
    for name, array in arrays.items():
        target = mxnet_key_to_torch(name)
        if target == '':
            dropped.append(name)
            continue
        if target is None:
            unmatched.append(name)
            continue
        if array is None:
            raise InvalidInputError(f'{path}: array {name!r} is empty. {_FIX}')
        if target in state:
            raise InvalidInputError(
                f'{path}: {name!r} maps to {target!r} twice. {_FIX}')
        if array.dtype.kind == 'f':
            array = array.astype(np.float32, copy=False)
        state[target] = torch.from_numpy(np.ascontiguousarray(array))
    if unmatched:
        raise InvalidInputError(
            f'{path}: {len(unmatched)} names match no ResNet-38d rule: '
            f'{unmatched}. ' + _FIX)
    extra = _check_trunk(state, path)
    if extra:
        inverse = {mxnet_key_to_torch(n): n for n in arrays}
        raise InvalidInputError(
            f'{path}: {len(extra)} names map to modules ResNet38d does not '
            f'have: {[inverse[k] for k in extra]}. ' + _FIX)
    return state, dict(format='mxnet-ndarray-' + '+'.join(info['versions']),
                       dropped=dropped)


def convert_torch(path: str) -> Tuple[Dict[str, torch.Tensor], dict]:
    """Pass through a torch checkpoint with official PyTorch names.

    Keeps the trunk tensors (``module.`` prefixes stripped), drops the rest
    (e.g. ``fc8.weight``) and checks that the trunk is complete.
    """
    state = load_state_dict(path, _FIX,
                            'MXNet NDArray file or torch checkpoint')
    trunk = re.compile(r'^(conv1a|bn7|b\d+(_\d+)?)\.')
    dropped = [k for k in state if not trunk.match(k)]
    state = OrderedDict((k, v.float() if v.is_floating_point() else v)
                        for k, v in state.items() if trunk.match(k))
    extra = _check_trunk(state, path)
    if extra:
        raise InvalidInputError(
            f'{path}: {len(extra)} keys look like trunk keys but ResNet38d '
            f'has no such tensors: {extra}. ' + _FIX)
    return state, dict(format='torch-state-dict', dropped=dropped)


def convert(src: str, dst: str) -> dict:
    """Convert ``src`` (MXNet ``.params`` or torch file) and save ``dst``.

    Returns:
        dict: the ``meta`` saved with the weights, plus ``dropped``.
    """
    if not osp.isfile(src):
        raise MissingInputError(f'weights not found: {src!r}. {_FIX}')
    with open(src, 'rb') as f:
        head = f.read(8)
    if len(head) == 8 and struct.unpack('<Q', head)[0] == LIST_MAGIC:
        state, report = convert_mxnet(src)
    else:
        state, report = convert_torch(src)
    return save_converted(
        dst,
        state,
        src,
        'tools/model_converters/resnet38d_mxnet.py',
        architecture='ResNet38d',
        width_mult=state['bn7.running_mean'].shape[0] / 4096,
        source_format=report['format'],
        dropped_keys=list(report['dropped']))


def summary(meta: dict) -> Iterator[str]:
    """The line printed after a conversion."""
    dropped = meta['dropped_keys']
    yield (f'converted {meta["num_tensors"]} tensors '
           f'({meta["source_format"]}, width_mult={meta["width_mult"]:g}); '
           f'dropped {len(dropped)} keys{": " if dropped else ""}'
           f'{", ".join(dropped)}; unmatched 0 keys')


def parse_args(argv=None):
    return converter_parser(
        'Convert the MXNet ResNet-38d ImageNet weights (model A1, '
        'resnet_38d.params) into a state dict for mmwsss ResNet38d; a torch '
        'file with official PyTorch names is passed through.',
        'MXNet .params file or torch .pth file',
        'output .pth, e.g. pretrained/resnet38d_imagenet.pth').parse_args(
            argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_converter(lambda: convert(args.src, args.dst), args.dst,
                         summary)


if __name__ == '__main__':
    sys.exit(main())
