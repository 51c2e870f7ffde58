#!/usr/bin/env python
"""Convert DeepLab's Caffe weights (``.caffemodel``) to BANA backbone keys.

Input: a binary Caffe ``NetParameter``, read WITHOUT caffe or protobuf
(:mod:`mmwsss.fileio.caffemodel`):

* ``--arch vgg16``: DeepLab-V1's ``vgg16_20M`` init model (conv1_1 ...
  conv5_3, fc6 1024x512x3x3, fc7 1024x1024x1x1);
* ``--arch resnet101``: the Caffe DeepLab-V2 ResNet-101 init model
  (MS-COCO-pretrained ``init.caffemodel``, or MSRA's ImageNet
  ``ResNet-101-model.caffemodel``; same layer names).

Output: ``torch.save({'state_dict': ..., 'meta': {...}})`` with plain tensors
only (loads with ``weights_only=True``), keys relative to the backbone, for
``init_cfg=dict(type='Pretrained', checkpoint=<output>)`` (no prefix):
``VGG16LargeFOV`` keys for vgg16, mmseg ``ResNet`` (depth 101) keys for
resnet101. Layers with weights that the backbone lacks (fc8, the ASPP
classifiers ``fc1_*``, fc1000) are dropped and listed.

Usage::

    python tools/model_converters/deeplab_caffe.py --arch vgg16 \
        init.caffemodel pretrained/vgg16_20M_deeplab.pth
    python tools/model_converters/deeplab_caffe.py --arch resnet101 \
        init.caffemodel pretrained/deeplabv2_r101_coco_caffe.pth

Key mapping: vgg16: layer ``L`` blobs (weight, bias) -> ``L.weight``,
``L.bias``. resnet101: ``conv1`` -> ``conv1``; ``res{S}{B}_branch{X}`` ->
``layer{S-1}.{i}.{conv}`` with ``B`` = a, b, c (stages 2, 5) or a, b1, b2,
... (stages 3, 4) for block ``i`` = 0, 1, 2, ... and ``X`` = 1, 2a, 2b, 2c
-> ``downsample.0``, ``conv1``, ``conv2``, ``conv3``; ``bn_conv1`` /
``bn{S}{B}_branch{X}`` (BatchNorm: mean*s, var*s, s) -> ``running_mean``
= blob0 / s, ``running_var`` = blob1 / s (s = 0 read as 1) and
``num_batches_tracked`` = 0 of the matching BN (``bn1``, ``bn1``-``bn3``,
``downsample.1``); ``scale_conv1`` / ``scale{S}{B}_branch{X}`` (Scale:
gamma, beta) -> its ``weight``, ``bias``. Blobs in the legacy 4-D layout
(biases 1x1x1xC, fc weights 1x1xOUTxIN) are reshaped to the target shape.
"""
import os.path as osp
import sys
from collections import OrderedDict
from typing import Dict, Iterator, List, Optional, Tuple

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

import numpy as np
import torch

from mmwsss.fileio.caffemodel import CaffeLayer, read_caffemodel
from mmwsss.fileio.converted_checkpoint import (
    converter_parser,
    run_converter,
    save_converted,
)
from mmwsss.fileio.weight_hints import WEIGHTS
from mmwsss.utils import InvalidInputError

ARCHS = ('vgg16', 'resnet101')
_FIX = {
    'vgg16': 'Fix: pass DeepLab-V1\'s `vgg16_20M` init model (the '
    'DeepLab-LargeFOV `init.caffemodel`; fc6 1024x512x3x3, fc7 '
    '1024x1024x1x1), re-downloaded if damaged from ' +
    WEIGHTS['vgg16_deeplab']['download'] + ', with --arch vgg16.',
    'resnet101': 'Fix: pass the Caffe DeepLab-V2 ResNet-101 '
    '`init.caffemodel` (or MSRA\'s `ResNet-101-model.caffemodel`), '
    're-downloaded if damaged from ' +
    WEIGHTS['deeplabv2_r101_caffe']['download'] +
    ', with --arch resnet101.',
}
_NUM_BLOBS = {'conv': 1, 'conv+bias': 2, 'bn': 3, 'scale': 2}


def _resnet101_targets() -> Dict[str, Tuple[str, str]]:
    """Caffe layer -> (kind, mmseg ResNet module) for ResNet-101."""
    targets = OrderedDict(
        conv1=('conv', 'conv1'),
        bn_conv1=('bn', 'bn1'),
        scale_conv1=('scale', 'bn1'))
    for stage, num_blocks in zip(range(2, 6), (3, 4, 23, 3)):
        for i in range(num_blocks):
            if i == 0:
                block = 'a'
            else:
                block = chr(ord('a') + i) if num_blocks == 3 else f'b{i}'
            module = f'layer{stage - 1}.{i}'
            branches = [('2a', 'conv1', 'bn1'), ('2b', 'conv2', 'bn2'),
                        ('2c', 'conv3', 'bn3')]
            if i == 0:
                branches.insert(0, ('1', 'downsample.0', 'downsample.1'))
            for branch, conv, bn in branches:
                suffix = f'{stage}{block}_branch{branch}'
                targets[f'res{suffix}'] = ('conv', f'{module}.{conv}')
                targets[f'bn{suffix}'] = ('bn', f'{module}.{bn}')
                targets[f'scale{suffix}'] = ('scale', f'{module}.{bn}')
    return targets


def caffe_targets(arch: str) -> Tuple[Dict[str, Tuple[str, str]],
                                      Dict[str, torch.Size]]:
    """The layers to convert and the backbone's state-dict shapes.

    Returns:
        tuple[OrderedDict, OrderedDict]: Caffe layer -> (kind, module),
        kind being ``conv`` (weight), ``conv+bias``, ``bn`` or ``scale``;
        and backbone key -> shape (built on the meta device: no memory).
    """
    if arch == 'vgg16':
        from mmwsss.models.backbones import VGG16LargeFOV
        with torch.device('meta'):
            model = VGG16LargeFOV()
        modules = [k.rsplit('.', 1)[0] for k in model.state_dict()]
        targets = OrderedDict((m, ('conv+bias', m)) for m in modules)
    else:
        from mmseg.models.backbones import ResNet
        with torch.device('meta'):
            model = ResNet(depth=101, style='caffe')
        targets = _resnet101_targets()
    shapes = OrderedDict((k, v.shape) for k, v in model.state_dict().items())
    return targets, shapes


def _fit(array: np.ndarray, shape: torch.Size, what: str,
         fix: str) -> torch.Tensor:
    """``array`` as a float32 tensor of ``shape``, undoing Caffe's legacy
    4-D layout (leading 1s; fc weights as OUT x IN)."""
    shape = tuple(shape)
    legacy = array.shape
    while len(legacy) > 1 and legacy[0] == 1:
        legacy = legacy[1:]
    flat = shape[:1] + (int(np.prod(shape[1:], dtype=np.int64)), )
    if array.shape != shape and legacy not in (shape, flat):
        raise InvalidInputError(
            f'{what} has shape {array.shape} ({array.size} values); the '
            f'backbone needs {shape} ({int(np.prod(shape))} values). {fix}')
    return torch.from_numpy(np.array(array, np.float32).reshape(shape))


def _layer_tensors(name: str, layer: CaffeLayer, kind: str, module: str,
                   shapes: Dict[str, torch.Size], src: str,
                   fix: str) -> Dict[str, torch.Tensor]:
    """The backbone tensors of one Caffe layer."""
    what = f'{src}: layer {name!r} ({layer.type or "untyped"})'
    if len(layer.blobs) != _NUM_BLOBS[kind]:
        raise InvalidInputError(
            f'{what} has {len(layer.blobs)} blobs, expected '
            f'{_NUM_BLOBS[kind]} ({kind}). {fix}')
    if kind == 'bn':
        mean, var, factor = layer.blobs
        if factor.size != 1:
            raise InvalidInputError(
                f'{what}: the scale-factor blob has {factor.size} values, '
                f'expected 1. {fix}')
        s = np.float32(factor.reshape(-1)[0]) or np.float32(1)
        fields = dict(running_mean=mean / s, running_var=var / s)
    else:  # conv (+bias) or Scale (gamma, beta)
        fields = dict(zip(('weight', 'bias'), layer.blobs))
    out = OrderedDict(
        (f'{module}.{k}',
         _fit(v, shapes[f'{module}.{k}'], f'{what} blob {k}', fix))
        for k, v in fields.items())
    if kind == 'bn' and f'{module}.num_batches_tracked' in shapes:
        out[f'{module}.num_batches_tracked'] = torch.tensor(0)
    return out


def map_layers(layers: Dict[str, CaffeLayer], arch: str, src: str = ''
               ) -> Tuple[Dict[str, torch.Tensor], List[str], List[str]]:
    """Map parsed Caffe layers to backbone keys.

    Args:
        layers (dict): layer name -> :class:`CaffeLayer`
            (:func:`read_caffemodel`).
        arch (str): ``vgg16`` or ``resnet101``.
        src (str): the file, for messages.

    Returns:
        tuple[OrderedDict, list[str], list[str]]: the state dict (backbone
        order), the dropped layers (``name (type, n blobs)``) and the
        expected layers that are missing.

    Raises:
        InvalidInputError: a layer has the wrong number of blobs or a blob
            does not fit the backbone's shape.
    """
    fix = _FIX[arch]
    targets, shapes = caffe_targets(arch)
    state, dropped = {}, []
    for name, layer in layers.items():
        if name not in targets:
            dropped.append(f'{name} ({layer.type or "untyped"}, '
                           f'{len(layer.blobs)} blobs)')
            continue
        state.update(
            _layer_tensors(name, layer, *targets[name], shapes, src, fix))
    missing = [n for n in targets if n not in layers]
    state = OrderedDict((k, state[k]) for k in shapes if k in state)
    return state, dropped, missing


def convert(src: str, dst: str, arch: str) -> dict:
    """Convert the ``.caffemodel`` ``src`` for ``arch`` and save ``dst``.

    Returns:
        dict: the ``meta`` saved with the weights.

    Raises:
        MissingInputError: ``src`` does not exist.
        InvalidInputError: unreadable file, wrong blobs or shapes, or
            missing layers (listed).
    """
    fix = _FIX[arch]
    layers, info = read_caffemodel(src, fix)
    state, dropped, missing = map_layers(layers, arch, src)
    if missing:
        shown = ', '.join(missing[:20])
        more = f' and {len(missing) - 20} more' if len(missing) > 20 else ''
        raise InvalidInputError(
            f'{src}: {len(missing)} layers of the {arch} model are missing: '
            f'{shown}{more} (the file has {len(layers)} layers with weights; '
            f'is --arch right?). {fix}')
    return save_converted(
        dst,
        state,
        src,
        'tools/model_converters/deeplab_caffe.py',
        architecture=dict(vgg16='VGG16LargeFOV',
                          resnet101='mmseg ResNet-101 (caffe style)')[arch],
        source_format='caffemodel-' + '+'.join(info['formats']),
        source_net_name=info['name'],
        dropped_layers=dropped)


def summary(meta: dict) -> Iterator[str]:
    """The line printed after a conversion."""
    dropped = meta['dropped_layers']
    yield (f'converted {meta["num_tensors"]} tensors ('
           f'{meta["source_format"]}, {meta["architecture"]}); dropped '
           f'{len(dropped)} layers{": " if dropped else ""}'
           f'{", ".join(dropped)}')


def parse_args(argv: Optional[List[str]] = None):
    parser = converter_parser(
        'Convert DeepLab\'s Caffe weights (.caffemodel; no caffe needed) '
        'into a state dict for VGG16LargeFOV (DeepLab-V1 vgg16_20M) or the '
        'mmseg ResNet-101 of DeepLab-V2.', '.caffemodel file',
        'output .pth, e.g. pretrained/vgg16_20M_deeplab.pth or '
        'pretrained/deeplabv2_r101_coco_caffe.pth')
    parser.add_argument('--arch', required=True, choices=ARCHS)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    return run_converter(lambda: convert(args.src, args.dst, args.arch),
                         args.dst, summary)


if __name__ == '__main__':
    sys.exit(main())
