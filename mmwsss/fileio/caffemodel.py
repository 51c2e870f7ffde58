"""Read a binary Caffe ``.caffemodel`` (a ``NetParameter``) without caffe or
protobuf: the layers that hold weights, with their blobs as float32 arrays.

Protobuf wire format: each field is a varint key ``number << 3 | wire``
followed by a varint (wire 0), 8 bytes (1), a varint length + bytes (2) or
4 bytes (5), little endian; unknown fields are skipped, and repeated numeric
fields are read packed (one wire-2 field) or unpacked (one field per
element). Field numbers, from ``src/caffe/proto/caffe.proto`` of
https://github.com/BVLC/caffe:

* ``NetParameter``: ``name`` 1, ``layers`` 2 (``V1LayerParameter``),
  ``layer`` 100 (``LayerParameter``);
* ``LayerParameter``: ``name`` 1, ``type`` 2 (string), ``blobs`` 7;
* ``V1LayerParameter``: ``name`` 4, ``type`` 5 (enum), ``blobs`` 6, and
  ``layer`` 1 (``V0LayerParameter``: ``name`` 1, ``type`` 2, ``blobs`` 50);
* ``BlobProto``: legacy ``num`` 1, ``channels`` 2, ``height`` 3, ``width`` 4
  (used when any is present), else ``shape`` 7 (``BlobShape``: repeated
  int64 ``dim`` 1); float ``data`` 5, ``double_data`` 8 (used if non-empty).
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, NamedTuple, Tuple

import numpy as np

from mmwsss.utils import InvalidInputError, MissingInputError

_FIX_ANY = 'Fix: re-download the .caffemodel and convert it again.'
_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5
_FIXED_SIZE = {_I64: 8, _I32: 4}
# (name, type, blobs) field numbers of LayerParameter / V1 / V0
_LAYER_FIELDS = {'layer': (1, 2, 7), 'v1': (4, 5, 6), 'v0': (1, 2, 50)}
_V1_TYPES = {4: 'Convolution', 14: 'InnerProduct'}
_FORMATS = {'layer': 'layer', 'v1': 'layers-v1', 'v0': 'layers-v0'}


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
