import os
import os.path as osp

import numpy as np
import pytest

from mmwsss.fileio import cam_file_ok, load_cams, read_rgb, save_cams
from mmwsss.utils import InvalidInputError, MissingInputError
from mmwsss.utils.atomic_io import (
    atomic_write,
    atomic_write_json,
    remove_temporaries,
)


def test_cam_round_trip(tmp_path):
    path = str(tmp_path / 'a.npz')
    cams = np.random.default_rng(0).random((2, 5, 7)) * 1.2
    save_cams(path, cams, [3, 1])
    with np.load(path) as data:
        assert data['keys'].dtype == np.int64 and data['keys'].shape == (2, )
        assert data['cams'].dtype == np.float16
        assert data['cams'].shape == (2, 5, 7)
    keys, loaded = load_cams(path, image_size=(5, 7))
    assert keys.tolist() == [3, 1] and loaded.dtype == np.float32
    np.testing.assert_allclose(loaded, np.clip(cams, 0, 1), atol=1e-3)
    assert os.listdir(tmp_path) == ['a.npz']
    with pytest.raises(ValueError, match='keys'):
        save_cams(path, cams, [1])


def test_corrupt_truncated_and_wrong_files(tmp_path):
    good = str(tmp_path / 'good.npz')
    save_cams(good, np.ones((1, 4, 4)), [0])
    data = open(good, 'rb').read()
    cases = {
        'garbage.npz': b'not a zip file',
        'truncated.npz': data[:len(data) // 2],
    }
    for name, content in cases.items():
        path = str(tmp_path / name)
        with open(path, 'wb') as f:
            f.write(content)
        with pytest.raises(
                InvalidInputError,
                match=f'{name}.*corrupt.*Delete it and re-run '
                'stage 2'):
            load_cams(path)
        assert not cam_file_ok(path)
    wrong = str(tmp_path / 'wrong.npz')
    np.savez(wrong, keys=np.array([0, 1]), cams=np.zeros((1, 4, 4)))
    with pytest.raises(InvalidInputError, match='wrong.npz'):
        load_cams(wrong)
    with pytest.raises(MissingInputError, match='missing.npz.*stage 2'):
        load_cams(str(tmp_path / 'missing.npz'))
    assert cam_file_ok(good)


def test_size_mismatch_names_cam_file_and_image(tmp_path):
    path = str(tmp_path / 'x.npz')
    save_cams(path, np.ones((1, 4, 6)), [0])
    with pytest.raises(
            InvalidInputError,
            match=r'x.npz is 6x4 \(WxH\) but img/x.jpg is 7x4'):
        load_cams(path, image_size=(4, 7), image_path='img/x.jpg')


def test_atomic_write_and_temporaries(tmp_path):
    path = str(tmp_path / 'sub' / 'f.json')
    atomic_write_json(path, dict(a=1.5))
    assert open(path).read() == '{\n  "a": 1.5\n}\n'
    with pytest.raises(TypeError):
        atomic_write(str(tmp_path / 'g.png'), 123)
    assert sorted(os.listdir(tmp_path)) == ['sub']
    for name in ('.a.png.12.tmp', '.b.png.3.tmp', 'c.png', '.c.png'):
        open(osp.join(str(tmp_path), name), 'w').close()
    assert remove_temporaries(str(tmp_path), ['a.png']) == 1
    assert remove_temporaries(str(tmp_path)) == 1
    assert sorted(os.listdir(tmp_path)) == ['.c.png', 'c.png', 'sub']


def test_read_rgb_errors(tmp_path):
    bad = str(tmp_path / 'bad.jpg')
    with open(bad, 'wb') as f:
        f.write(b'\xff\xd8 broken')
    with pytest.raises(InvalidInputError, match='bad.jpg.*corrupt'):
        read_rgb(bad)
    with pytest.raises(MissingInputError, match='none.jpg'):
        read_rgb(str(tmp_path / 'none.jpg'))
