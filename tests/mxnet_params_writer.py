"""Writes MXNet ``.params`` files (NDArray lists, as ``mx.nd.save`` does)
for the tests, without mxnet: V2, V1 or legacy array headers."""
import struct

import numpy as np

_FLAGS = {np.dtype('float32'): 0, np.dtype('float64'): 1,
          np.dtype('float16'): 2, np.dtype('int32'): 4}


def write_params(path, arrays, version='v2'):
    """Write ``arrays`` (name -> ndarray) as an MXNet NDArray list."""
    chunks = [struct.pack('<QQQ', 0x112, 0, len(arrays))]
    for array in arrays.values():
        array = np.ascontiguousarray(array)
        dims = array.shape
        if version == 'v2':
            chunks.append(struct.pack('<Ii', 0xF993FAC9, 0))
            chunks.append(struct.pack(f'<i{len(dims)}q', len(dims), *dims))
        elif version == 'v1':
            chunks.append(struct.pack('<I', 0xF993FAC8))
            chunks.append(struct.pack(f'<i{len(dims)}q', len(dims), *dims))
        else:  # legacy: ndim and dims as uint32, no magic
            chunks.append(struct.pack(f'<I{len(dims)}I', len(dims), *dims))
        chunks.append(struct.pack('<iii', 1, 0, _FLAGS[array.dtype]))
        chunks.append(array.astype(array.dtype.newbyteorder('<')).tobytes())
    chunks.append(struct.pack('<Q', len(arrays)))
    for name in arrays:
        raw = name.encode()
        chunks.append(struct.pack('<Q', len(raw)) + raw)
    with open(path, 'wb') as f:
        f.write(b''.join(chunks))
