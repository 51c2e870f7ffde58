"""CAM files stored at a stride: size, entries, upsampling on read."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmwsss.fileio import cam_file_ok, load_cams, save_cams
from mmwsss.refine.random_walk import lowres_cams
from mmwsss.utils import InvalidInputError


def network_like_cams(height=61, width=47, classes=2, seed=0):
    """Max-normalised ReLU maps bilinearly upsampled from stride 8, as the
    CAM models make them."""
    gen = torch.Generator().manual_seed(seed)
    small = torch.randn(1, classes, (height + 7) // 8, (width + 7) // 8,
                        generator=gen)
    cams = F.interpolate(small, size=(height, width), mode='bilinear',
                         align_corners=False).relu()[0]
    return (cams / cams.flatten(1).amax(1)[:, None, None]).numpy()


def test_stride_4_round_trip(tmp_path):
    cams = network_like_cams()
    path = str(tmp_path / 'a.npz')
    save_cams(path, cams, [4, 11], stride=4)
    with np.load(path) as data:
        assert data['cams'].dtype == np.float16
        assert data['cams'].shape == (2, 16, 12)  # ceil(61/4), ceil(47/4)
        assert int(data['stride']) == 4
        assert data['image_size'].tolist() == [61, 47]
        stored = data['cams'].astype(np.float32)
    # the samples of the IRN refiner's stride-4 maps (before its max
    # normalisation)
    lowres = lowres_cams(cams)
    scale = stored.reshape(2, -1).max(1)[:, None, None]
    np.testing.assert_allclose(lowres * scale, stored, atol=2e-3)
    assert cam_file_ok(path)
    keys, full = load_cams(path, image_size=(61, 47))
    assert keys.tolist() == [4, 11]
    assert full.shape == (2, 61, 47) and full.dtype == np.float32
    assert 0 <= full.min() and full.max() <= 1
    # maps that vary at stride 8 change little
    assert np.abs(full - cams).mean() < 0.03
    np.testing.assert_allclose(load_cams(path)[1], full)
    with pytest.raises(InvalidInputError, match=r'a.npz is 47x61 .*is 48x61'):
        load_cams(path, image_size=(61, 48))


def test_stride_1_files_keep_their_format(tmp_path):
    path = str(tmp_path / 'a.npz')
    save_cams(path, network_like_cams(), [0, 1])
    with np.load(path) as data:
        assert sorted(data.files) == ['cams', 'keys']
        assert data['cams'].shape == (2, 61, 47)


def test_no_class_and_bad_strides(tmp_path):
    path = str(tmp_path / 'none.npz')
    save_cams(path, np.zeros((0, 30, 21)), [], stride=4)
    keys, cams = load_cams(path, image_size=(30, 21))
    assert keys.size == 0 and cams.shape == (0, 30, 21)
    for stride in (0, 2.0):
        with pytest.raises(ValueError, match='stride'):
            save_cams(path, np.zeros((1, 8, 8)), [0], stride=stride)
    wrong = str(tmp_path / 'wrong.npz')
    np.savez(wrong, keys=np.array([0]), cams=np.zeros((1, 4, 4), np.float16),
             stride=np.int64(4), image_size=np.array([30, 21]))
    with pytest.raises(InvalidInputError, match='wrong.npz.*stride 4'):
        load_cams(wrong)
    assert not cam_file_ok(wrong)
