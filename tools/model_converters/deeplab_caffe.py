#!/usr/bin/env python
"""Convert DeepLab's Caffe weights (``.caffemodel``) to BANA backbone keys.

Input: a binary Caffe ``NetParameter``, read WITHOUT caffe or protobuf:

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

Protobuf wire format: each field is a varint key ``number << 3 | wire``
followed by a varint (wire 0), 8 bytes (1), a varint length + bytes (2) or
4 bytes (5); integers are little endian, unknown fields are skipped.
Repeated numeric fields come packed (one wire-2 field) or unpacked (one
field per element); both are read. Fields used (``caffe.proto``):

* ``NetParameter``: ``name`` 1, ``layers`` 2 (``V1LayerParameter``, old
  files), ``layer`` 100 (``LayerParameter``);
* ``LayerParameter``: ``name`` 1, ``type`` 2 (string), ``blobs`` 7;
* ``V1LayerParameter``: ``name`` 4, ``type`` 5 (enum), ``blobs`` 6, and
  ``layer`` 1 (``V0LayerParameter``: ``name`` 1, ``type`` 2, ``blobs`` 50);
* ``BlobProto``: legacy 4-D shape ``num`` 1, ``channels`` 2, ``height`` 3,
  ``width`` 4 (used when any is present, else ``shape`` 7 = ``BlobShape``
  with repeated int64 ``dim`` 1), float ``data`` 5, ``double_data`` 8
  (used when non-empty).

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
from typing import Dict, Iterator, List, NamedTuple, Optional, Tuple

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

import numpy as np
import torch

from mmwsss.fileio.converted_checkpoint import (
    converter_parser,
    run_converter,
    save_converted,
)
from mmwsss.fileio.weight_hints import WEIGHTS
from mmwsss.utils import InvalidInputError, MissingInputError

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
_FIX_ANY = 'Fix: re-download the .caffemodel and convert it again.'
_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5
_FIXED_SIZE = {_I64: 8, _I32: 4}
# (name, type, blobs) field numbers of LayerParameter / V1 / V0
_LAYER_FIELDS = {'layer': (1, 2, 7), 'v1': (4, 5, 6), 'v0': (1, 2, 50)}
_V1_TYPES = {4: 'Convolution', 14: 'InnerProduct'}
_FORMATS = {'layer': 'layer', 'v1': 'layers-v1', 'v0': 'layers-v0'}
_NUM_BLOBS = {'conv': 1, 'conv+bias': 2, 'bn': 3, 'scale': 2}


class CaffeLayer(NamedTuple):
    """A layer with weights: its type and its blobs (float32 arrays)."""
    type: str
    blobs: List[np.ndarray]


class _Wire:
    """Bounds-checked protobuf wire-format reader over a file's bytes."""

    def __init__(self, data: bytes, path: str, fix: str):
        self.data, self.path, self.fix = data, path, fix

    def fail(self, pos: int, msg: str):
        raise InvalidInputError(
            f'{self.path}: not a .caffemodel or corrupt at byte {pos}: '
            f'{msg}. {self.fix}')

    def truncated(self, pos: int, what: str, end: int):
        raise InvalidInputError(
            f'{self.path}: truncated or corrupt .caffemodel: {what} at byte '
            f'{pos} runs past the end of its message (byte {end}; the file '
            f'has {len(self.data)} bytes). {self.fix}')

    def varint(self, pos: int, end: int) -> Tuple[int, int]:
        """Decode a varint at ``pos``; returns (value, next position)."""
        value = shift = 0
        start = pos
        while True:
            if pos >= end:
                self.truncated(start, 'a varint', end)
            byte = self.data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value, pos
            shift += 7
            if shift >= 70:
                self.fail(start, 'varint longer than 10 bytes')

    def field(self, pos: int, end: int) -> Tuple[int, int, object, int]:
        """Read one field: (number, wire type, value, next position).

        The value is an int for varints, else the (start, end) byte span.
        """
        start = pos
        key, pos = self.varint(pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            self.fail(start, 'field number 0')
        if wire == _VARINT:
            value, pos = self.varint(pos, end)
            return number, wire, value, pos
        if wire == _LEN:
            size, pos = self.varint(pos, end)
        elif wire in _FIXED_SIZE:
            size = _FIXED_SIZE[wire]
        else:
            self.fail(start, f'unsupported wire type {wire}')
        if size > end - pos:
            self.truncated(start, f'field {number} ({size} bytes)', end)
        return number, wire, (pos, pos + size), pos + size

    def fields(self, start: int, end: int):
        """Iterate over the fields of the message at ``[start, end)``."""
        pos = start
        while pos < end:
            number, wire, value, pos = self.field(pos, end)
            yield number, wire, value

    def text(self, span: Tuple[int, int]) -> str:
        try:
            return self.data[span[0]:span[1]].decode('utf-8')
        except UnicodeDecodeError:
            self.fail(span[0], 'a string is not UTF-8')

    def fixed_run(self, pos: int, data_pos: int, end: int,
                  dtype: str) -> Tuple[np.ndarray, int]:
        """Read a run of unpacked fixed-size elements with the same key.

        ``pos`` is the first key, ``data_pos`` its first element; returns
        (values, position after the run).
        """
        key = np.frombuffer(self.data, np.uint8, data_pos - pos, pos)
        step = key.size + np.dtype(dtype).itemsize
        count = (end - pos) // step
        records = np.frombuffer(self.data, np.uint8, count * step,
                                pos).reshape(count, step)
        same = (records[:, :key.size] == key).all(axis=1)
        if not same.all():
            count = int(same.argmin())
        values = records[:count, key.size:].copy().view(dtype).ravel()
        return values, pos + count * step


def _signed(value: int) -> int:
    """A varint read as a two's-complement int64."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _read_blob(w: _Wire, start: int, end: int, what: str) -> np.ndarray:
    """Parse one ``BlobProto`` into a float32 array of its shape."""
    legacy, dims = {}, []
    chunks = {5: [], 8: []}
    pos = start
    while pos < end:
        number, wire, value, nxt = w.field(pos, end)
        if number in (1, 2, 3, 4) and wire == _VARINT:
            legacy[number] = _signed(value)
        elif number == 7 and wire == _LEN:
            for dim_number, dim_wire, dim in w.fields(*value):
                if dim_number != 1:
                    continue
                if dim_wire == _VARINT:
                    dims.append(_signed(dim))
                elif dim_wire == _LEN:  # packed
                    p = dim[0]
                    while p < dim[1]:
                        d, p = w.varint(p, dim[1])
                        dims.append(_signed(d))
        elif number in chunks:
            dtype = '<f4' if number == 5 else '<f8'
            size = np.dtype(dtype).itemsize
            if wire == _LEN:  # packed
                if (value[1] - value[0]) % size:
                    w.fail(value[0], f'{what}: packed data of '
                           f'{value[1] - value[0]} bytes')
                chunks[number].append(
                    np.frombuffer(w.data, dtype,
                                  (value[1] - value[0]) // size, value[0]))
            elif wire == (_I32 if number == 5 else _I64):  # unpacked
                run, nxt = w.fixed_run(pos, value[0], end, dtype)
                chunks[number].append(run)
        pos = nxt
    if legacy:
        shape = tuple(legacy.get(i, 0) for i in (1, 2, 3, 4))
    else:
        shape = tuple(dims)
    if any(d < 0 for d in shape):
        w.fail(start, f'{what}: negative dimension in shape {shape}')
    doubles = np.concatenate(chunks[8] or [np.zeros(0)])
    data = doubles if doubles.size else np.concatenate(
        chunks[5] or [np.zeros(0, np.float32)])
    count = int(np.prod(shape, dtype=np.int64))
    if data.size != count:
        w.fail(start, f'{what}: {data.size} values for shape {shape}')
    return data.astype(np.float32, copy=False).reshape(shape)


def _read_layer(w: _Wire, span: Tuple[int, int],
                fmt: str) -> Tuple[str, str, List[Tuple[int, int]], str]:
    """Name, type, blob spans and format of a layer; a V1 layer without
    blobs of its own that wraps a V0 layer (oldest files) gives the V0's."""
    name_no, type_no, blobs_no = _LAYER_FIELDS[fmt]
    name, type_, blobs, v0 = '', '', [], None
    for number, wire, value in w.fields(*span):
        if number == name_no and wire == _LEN:
            name = w.text(value)
        elif number == type_no and wire == _LEN:
            type_ = w.text(value)
        elif number == type_no and wire == _VARINT:  # V1 enum
            type_ = _V1_TYPES.get(value, f'V1 type {value}')
        elif number == blobs_no and wire == _LEN:
            blobs.append(value)
        elif fmt == 'v1' and number == 1 and wire == _LEN:
            v0 = _read_layer(w, value, 'v0')
    if v0 is not None and not blobs:
        return v0[0] or name, v0[1] or type_, v0[2], v0[3]
    return name, type_, blobs, fmt


def read_caffemodel(path: str,
                    fix: str = _FIX_ANY) -> Tuple[Dict[str, CaffeLayer], dict]:
    """Parse a binary ``.caffemodel`` without caffe or protobuf.

    Args:
        path (str): the file.
        fix (str): what to do, appended to error messages.

    Returns:
        tuple[OrderedDict, dict]: layer name -> :class:`CaffeLayer` for the
        layers with blobs (file order), and info (``name``: the net's name,
        ``formats``: ``layer``, ``layers-v1`` and/or ``layers-v0``).

    Raises:
        MissingInputError: no such file.
        InvalidInputError: truncated, corrupt, not a NetParameter, no layer
            with weights, or two layers with weights share a name.
    """
    if not osp.isfile(path):
        raise MissingInputError(f'Caffe weights not found: {path!r}. {fix}')
    with open(path, 'rb') as f:
        data = f.read()
    w = _Wire(data, path, fix)
    net_name, formats, layers = '', set(), OrderedDict()
    for number, wire, value in w.fields(0, len(data)):
        if number == 1 and wire == _LEN:
            net_name = w.text(value)
            continue
        if wire != _LEN or number not in (2, 100):
            continue
        name, type_, spans, fmt = _read_layer(
            w, value, 'layer' if number == 100 else 'v1')
        if not spans:
            continue
        formats.add(_FORMATS[fmt])
        if name in layers:
            raise InvalidInputError(
                f'{path}: two layers with weights are named {name!r}. {fix}')
        blobs = [
            _read_blob(w, s, e, f'blob {i} of layer {name!r}')
            for i, (s, e) in enumerate(spans)
        ]
        layers[name] = CaffeLayer(type_, blobs)
    if not layers:
        raise InvalidInputError(
            f'{path}: no layer with weights found: not a binary .caffemodel '
            f'(a .prototxt holds no weights). {fix}')
    return layers, dict(name=net_name, formats=sorted(formats))


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
