"""Tests for mmwsss/fileio/caffemodel.py: the ``.caffemodel`` reader.

The files are written by ``tests/caffemodel_writer.py`` (no caffe or
protobuf needed).
"""
import numpy as np
import pytest

from caffemodel_writer import (
    blob,
    key,
    layer,
    len_field,
    net,
    unpacked,
    varint,
    varint_field,
    write,
)
from mmwsss.fileio.caffemodel import read_caffemodel
from mmwsss.utils import InvalidInputError, MissingInputError


def test_reader_wire_variants(tmp_path):
    """Packed and unpacked data and dims, double_data, unknown fields of
    every wire type, V0 layers wrapped in V1 layers."""
    a = np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5
    b = np.linspace(-1, 1, 6).reshape(1, 2, 3)
    # data split into a packed chunk, an unpacked run and a packed chunk
    mixed = (len_field(7, len_field(1, varint(2) + varint(3))) +
             len_field(5, a.ravel()[:2].tobytes()) +
             unpacked(5, a.ravel()[2:5], '<f4') +
             len_field(5, a.ravel()[5:6].tobytes()))
    extra = (key(999, 1) + b'\x01' * 8 + key(998, 5) + b'\x02' * 4 +
             varint_field(997, 2**40) + len_field(996, b'\x00\x01'))
    layers = [
        layer('a', 'Convolution', [blob(a, packed=False), blob(a[0])]),
        layer('b', 'Scale', [blob(b, double=True),
                             blob(b, packed=False, double=True)]),
        layer('m', 'Bias', [mixed + extra]) + extra,
        layer('nothing', 'ReLU'),
    ]
    v0 = len_field(1, 'old') + len_field(2, 'conv') + len_field(
        50, blob(a, legacy=(1, 1, 3, 4)))
    data = net(layers) + len_field(2, len_field(1, v0)) + extra
    layers, info = read_caffemodel(write(tmp_path / 'x.caffemodel', data))
    assert list(layers) == ['a', 'b', 'm', 'old']
    assert info == dict(name='net', formats=['layer', 'layers-v0'])
    assert layers['a'].type == 'Convolution'
    np.testing.assert_array_equal(layers['a'].blobs[0], a)
    np.testing.assert_array_equal(layers['a'].blobs[1], a[0])
    for got in layers['b'].blobs:
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, b.astype(np.float32))
    np.testing.assert_array_equal(layers['m'].blobs[0], a.ravel()[:6]
                                  .reshape(2, 3))
    assert layers['old'].type == 'conv'
    assert layers['old'].blobs[0].shape == (1, 1, 3, 4)


def test_corrupt_files(tmp_path):
    cases = {
        'junk': (b'not a weights file at all', 'wire type'),
        'empty': (net([layer('relu', 'ReLU')]), 'no layer with weights'),
        'count': (net([layer('x', 'Scale', [
            len_field(7, len_field(1, varint(3))) +
            len_field(5, np.zeros(2, np.float32).tobytes())])]),
            r"blob 0 of layer 'x': 2 values for shape \(3,\)"),
        'twice': (net([layer('x', 'Scale', [blob(np.zeros(2))])] * 2),
                  "two layers with weights are named 'x'"),
    }
    for name, (data, message) in cases.items():
        src = write(tmp_path / f'{name}.caffemodel', data)
        with pytest.raises(InvalidInputError, match=message):
            read_caffemodel(src)


def test_truncated_and_missing_files_name_the_fix(tmp_path):
    data = net([layer('x', 'Scale', [blob(np.arange(8.0))])])
    src = write(tmp_path / 'cut.caffemodel', data[:-5])
    with pytest.raises(InvalidInputError,
                       match=r'truncated or corrupt \.caffemodel: .*'
                       r'Fix: re-download the \.caffemodel'):
        read_caffemodel(src)
    with pytest.raises(InvalidInputError, match='Fix: pass the right file'):
        read_caffemodel(src, 'Fix: pass the right file.')
    missing = str(tmp_path / 'nowhere.caffemodel')
    with pytest.raises(MissingInputError,
                       match='Caffe weights not found: .*nowhere'):
        read_caffemodel(missing)
