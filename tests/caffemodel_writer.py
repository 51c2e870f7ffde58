"""A small protobuf encoder that writes ``.caffemodel`` bytes for the tests
(no caffe or protobuf needed): ``NetParameter`` in the new (``layer``) and
the V1 (``layers``) formats, ``BlobProto`` with legacy 4-D or ``shape``
dims, packed and unpacked repeated fields."""
import numpy as np

V1_CONVOLUTION, V1_INNER_PRODUCT, V1_DATA, V1_RELU = 4, 14, 5, 18


def varint(value):
    value &= (1 << 64) - 1  # negative int32/int64: ten bytes
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def key(number, wire):
    return varint(number << 3 | wire)


def len_field(number, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return key(number, 2) + varint(len(payload)) + payload


def varint_field(number, value):
    return key(number, 0) + varint(value)


def unpacked(number, values, dtype):
    """One fixed-size field per element (wire 5 for float, 1 for double)."""
    tag = np.frombuffer(key(number, 5 if dtype == '<f4' else 1), np.uint8)
    rec = np.zeros(len(values), [('tag', np.uint8, tag.size), ('v', dtype)])
    rec['tag'], rec['v'] = tag, values
    return rec.tobytes()


def blob(array, legacy=None, packed=True, double=False):
    """A BlobProto: ``legacy`` (num, channels, height, width) or ``shape``."""
    array = np.asarray(array)
    if legacy is not None:
        assert np.prod(legacy) == array.size
        out = b''.join(varint_field(i, d) for i, d in enumerate(legacy, 1))
    elif packed:
        out = len_field(7, len_field(1, b''.join(map(varint, array.shape))))
    else:
        out = len_field(7, b''.join(varint_field(1, d) for d in array.shape))
    number, dtype = (8, '<f8') if double else (5, '<f4')
    flat = array.astype(dtype).ravel()
    if packed:
        return out + len_field(number, flat.tobytes())
    return out + unpacked(number, flat, dtype)


def layer(name, type_, blobs=(), fmt='layer'):
    """A LayerParameter (string type) or V1LayerParameter (enum type)."""
    if fmt == 'layer':
        head = len_field(1, name) + len_field(2, type_)
        head += len_field(3, 'bottom') + varint_field(10, 1)  # skipped
        return head + b''.join(len_field(7, b) for b in blobs)
    head = len_field(4, name) + varint_field(5, type_)
    return head + b''.join(len_field(6, b) for b in blobs)


def net(layers, fmt='layer', name='net'):
    number = 100 if fmt == 'layer' else 2
    return len_field(1, name) + b''.join(len_field(number, x) for x in layers)


def write(path, data):
    path.write_bytes(data)
    return str(path)
