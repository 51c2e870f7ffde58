"""Read an MXNet ``.params`` file (the NDArray list that ``mx.nd.save``
writes) without mxnet: name -> numpy array.

Layout (little endian; ``NDArray::Save`` in ``src/ndarray/ndarray.cc`` of
https://github.com/apache/mxnet): uint64 magic ``0x112``, uint64 reserved,
uint64 number of arrays, the arrays, uint64 number of names (0 or one per
array), each name as uint64 byte length + UTF-8 bytes (``arg:`` / ``aux:``
prefixes for parameters / auxiliary states). An array starts with a uint32:

* ``0xF993FAC9`` (V2) or ``0xF993FACA`` (V3, NumPy shape semantics): int32
  storage type (0 dense, 1 row-sparse, 2 CSR; only dense is read), shape,
  and unless the array is empty (ndim 0 in V2, -1 in V3): context (int32
  device type and id), int32 type flag, raw data in C order;
* ``0xF993FAC8`` (V1): shape, then (if ndim > 0) context, type flag, data;
* anything else (MXNet < 0.9): the uint32 is ndim, then ndim uint32 dims,
  then (if ndim > 0) context, type flag, data.

A shape (V1/V2/V3) is int32 ndim + ndim int64 dims; :data:`DTYPES` maps the
type flags to numpy types.
"""
import os
import os.path as osp
import struct
from collections import OrderedDict
from typing import BinaryIO, Dict, Optional, Tuple

import numpy as np

from mmwsss.utils import InvalidInputError, MissingInputError

LIST_MAGIC = 0x112
V1_MAGIC = 0xF993FAC8
V2_MAGIC = 0xF993FAC9
V3_MAGIC = 0xF993FACA
DTYPES = {
    0: '<f4', 1: '<f8', 2: '<f2', 3: 'u1', 4: '<i4', 5: 'i1', 6: '<i8',
    7: '?', 8: '<i2', 9: '<u2', 10: '<u4', 11: '<u8'
}
_MAX_NDIM = 32
_FIX_ANY = 'Fix: re-download the .params file and convert it again.'


class _Reader:
    """Sequential little-endian reader that reports truncation clearly."""

    def __init__(self, fileobj: BinaryIO, path: str, fix: str):
        self.f, self.path, self.fix = fileobj, path, fix
        self.size = os.fstat(fileobj.fileno()).st_size

    def bytes(self, n: int, what: str) -> bytearray:
        pos = self.f.tell()
        if n < 0 or n > self.size - pos:
            raise InvalidInputError(
                f'{self.path}: truncated or corrupt MXNet file: {what} needs '
                f'{n} bytes at offset {pos}, but the file has {self.size} '
                f'bytes. {self.fix}')
        buf = bytearray(n)
        self.f.readinto(buf)
        return buf

    def unpack(self, fmt: str, what: str):
        values = struct.unpack('<' + fmt,
                               self.bytes(struct.calcsize('<' + fmt), what))
        return values if len(values) > 1 else values[0]

    def fail(self, msg: str):
        raise InvalidInputError(
            f'{self.path}: corrupt MXNet file at offset {self.f.tell()}: '
            f'{msg}. {self.fix}')


def _read_shape(r: _Reader, legacy_ndim: Optional[int] = None
                ) -> Optional[Tuple[int, ...]]:
    """Read a shape; ``None`` means "no array" (ndim -1)."""
    if legacy_ndim is not None:
        ndim, fmt = legacy_ndim, 'I'
    else:
        ndim, fmt = r.unpack('i', 'ndim'), 'q'
    if ndim == -1:
        return None
    if not 0 <= ndim <= _MAX_NDIM:
        r.fail(f'implausible number of dimensions {ndim}')
    dims = r.unpack(fmt * ndim, 'shape') if ndim else ()
    dims = (dims, ) if isinstance(dims, int) else tuple(dims)
    if any(d < 0 for d in dims):
        r.fail(f'negative dimension in shape {dims}')
    return dims


def _read_array(r: _Reader) -> Optional[np.ndarray]:
    """Read one NDArray; ``None`` for an empty (none) array."""
    magic = r.unpack('I', 'array header')
    if magic in (V2_MAGIC, V3_MAGIC):
        stype = r.unpack('i', 'storage type')
        if stype != 0:
            raise InvalidInputError(
                f'{r.path}: sparse NDArray (storage type {stype}) found; '
                'only dense weights are supported. ' + r.fix)
        shape = _read_shape(r)
        if shape is None or (magic == V2_MAGIC and len(shape) == 0):
            return None
    elif magic == V1_MAGIC:
        shape = _read_shape(r)
        if not shape:
            return None
    else:  # legacy: the first word is ndim, dims are uint32
        shape = _read_shape(r, legacy_ndim=magic)
        if not shape:
            return None
    dev_type, _ = r.unpack('ii', 'context')
    if dev_type not in (1, 2, 3, 5):
        r.fail(f'unknown device type {dev_type}')
    flag = r.unpack('i', 'type flag')
    if flag not in DTYPES:
        r.fail(f'unsupported type flag {flag}')
    dtype = np.dtype(DTYPES[flag])
    count = int(np.prod(shape, dtype=np.int64))
    data = r.bytes(count * dtype.itemsize, f'data of a {shape} array')
    return np.frombuffer(data, dtype=dtype).reshape(shape)


def read_mxnet_params(
        path: str,
        fix: str = _FIX_ANY) -> Tuple[Dict[str, Optional[np.ndarray]], dict]:
    """Parse an MXNet ``.params`` file (NDArray list) without mxnet.

    Args:
        path (str): the file.
        fix (str): what to do, appended to error messages.

    Returns:
        tuple[OrderedDict, dict]: name -> array (``None`` for empty arrays),
        and info (``versions``: the array layouts seen).

    Raises:
        MissingInputError: no such file.
        InvalidInputError: not an NDArray list, truncated or corrupt.
    """
    if not osp.isfile(path):
        raise MissingInputError(f'MXNet weights not found: {path!r}. {fix}')
    with open(path, 'rb') as f:
        r = _Reader(f, path, fix)
        magic, _reserved = r.unpack('QQ', 'file header')
        if magic != LIST_MAGIC:
            raise InvalidInputError(
                f'{path}: not an MXNet NDArray file (magic {magic:#x}, '
                f'expected {LIST_MAGIC:#x}). {fix}')
        num = r.unpack('Q', 'array count')
        if num > r.size:
            r.fail(f'implausible array count {num}')
        versions = set()
        arrays = []
        for _ in range(num):
            pos = f.tell()
            head = r.unpack('I', 'array header')
            versions.add({V1_MAGIC: 'v1', V2_MAGIC: 'v2',
                          V3_MAGIC: 'v3'}.get(head, 'legacy'))
            f.seek(pos)
            arrays.append(_read_array(r))
        num_names = r.unpack('Q', 'name count')
        if num_names != num:
            r.fail(f'{num_names} names for {num} arrays (a .params file '
                   'stores one name per array)')
        names = []
        for _ in range(num_names):
            length = r.unpack('Q', 'name length')
            if length > 4096:
                r.fail(f'implausible name length {length}')
            try:
                names.append(bytes(r.bytes(length, 'name')).decode('utf-8'))
            except UnicodeDecodeError:
                r.fail('a name is not UTF-8')
    if len(set(names)) != len(names):
        raise InvalidInputError(f'{path}: duplicate array names. {fix}')
    return OrderedDict(zip(names, arrays)), dict(versions=sorted(versions))
