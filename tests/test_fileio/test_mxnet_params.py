"""Tests for mmwsss/fileio/mxnet_params.py: the MXNet ``.params`` reader.

The files are written by ``tests/mxnet_params_writer.py`` (no mxnet needed).
"""
import struct

import numpy as np
import pytest

from mmwsss.fileio.mxnet_params import read_mxnet_params
from mmwsss.utils import InvalidInputError, MissingInputError
from mxnet_params_writer import write_params


@pytest.mark.parametrize('version', ['v2', 'v1', 'legacy'])
def test_reader_versions_and_dtypes(tmp_path, version):
    arrays = {
        'arg:a': np.arange(6, dtype=np.float32).reshape(2, 3),
        'arg:b': np.linspace(0, 1, 4).astype(np.float64),
        'aux:c': np.array([[1.5, -2.0]], dtype=np.float16),
        'arg:d': np.arange(3, dtype=np.int32).reshape(1, 1, 3),
    }
    path = tmp_path / 'x.params'
    write_params(path, arrays, version)
    got, info = read_mxnet_params(str(path))
    assert list(got) == list(arrays)
    assert info['versions'] == [version]
    for name, value in arrays.items():
        assert got[name].dtype == value.dtype
        np.testing.assert_array_equal(got[name], value)


def test_corrupt_files(tmp_path):
    one = {'arg:a': np.zeros(2, np.float32)}
    write_params(tmp_path / 'one.params', one)
    good = (tmp_path / 'one.params').read_bytes()
    sparse = bytearray(good)
    sparse[28:32] = struct.pack('<i', 1)  # storage type: row-sparse
    cases = {
        'junk': (b'not a weights file at all', 'not an MXNet NDArray file'),
        'sparse': (bytes(sparse), r'sparse NDArray \(storage type 1\)'),
        'names': (good[:-len(b'arg:a') - 16] + struct.pack('<Q', 0),
                  '0 names for 1 arrays'),
    }
    for name, (data, message) in cases.items():
        path = tmp_path / f'{name}.params'
        path.write_bytes(data)
        with pytest.raises(InvalidInputError, match=message):
            read_mxnet_params(str(path))
    array = good[24:-len(b'arg:a') - 16]  # the one array, names cut off
    twice = (struct.pack('<QQQ', 0x112, 0, 2) + array * 2 +
             struct.pack('<Q', 2) + (struct.pack('<Q', 5) + b'arg:a') * 2)
    (tmp_path / 'twice.params').write_bytes(twice)
    with pytest.raises(InvalidInputError, match='duplicate array names'):
        read_mxnet_params(str(tmp_path / 'twice.params'))


def test_truncated_and_missing_files_name_the_fix(tmp_path):
    path = tmp_path / 'cut.params'
    write_params(path, {'arg:a': np.arange(8, dtype=np.float32)})
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(InvalidInputError,
                       match=r'truncated or corrupt MXNet file: .*'
                       r'Fix: re-download the \.params file'):
        read_mxnet_params(str(path))
    with pytest.raises(InvalidInputError, match='Fix: pass the right file'):
        read_mxnet_params(str(path), 'Fix: pass the right file.')
    with pytest.raises(MissingInputError,
                       match='MXNet weights not found: .*nowhere'):
        read_mxnet_params(str(tmp_path / 'nowhere.params'))
