"""IRN's training transforms: LoadIRLabel, IRNRandomRescale, IRNRandomFlip,
IRNRandomCrop, NearestDownsample, PathPairLabels (explicit parameters
against hand-computed results and direct references)."""
import random

import numpy as np
import pytest
import torch
from mmengine.model import ImgDataPreprocessor
from PIL import Image

from mmwsss.datasets.transforms import nearest_downsample
from mmwsss.datasets.transforms.irn_random_crop import BGR_MEAN
from mmwsss.ops import PathIndex
from mmwsss.registry import TRANSFORMS
from mmwsss.utils import InvalidInputError, MissingInputError


def build(cfg):
    return TRANSFORMS.build(cfg)


# --- a direct reference of PIL's separable bicubic resize (a = -0.5,
# support 2 scaled by the reduction factor, weights renormalised at edges)

def _cubic(x, a=-0.5):
    x = abs(x)
    if x < 1:
        return ((a + 2) * x - (a + 3)) * x * x + 1
    if x < 2:
        return (((x - 5) * x + 8) * x - 4) * a
    return 0.0


def _weights(in_size, out_size):
    scale = in_size / out_size
    fscale = max(scale, 1.0)
    support = 2.0 * fscale
    mat = np.zeros((out_size, in_size))
    for i in range(out_size):
        center = (i + 0.5) * scale
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_size)
        w = np.array([_cubic((x - center + 0.5) / fscale)
                      for x in range(lo, hi)])
        mat[i, lo:hi] = w / w.sum()
    return mat


def bicubic_reference(img, size, uint8=False):
    """Horizontal pass, then vertical; PIL's 8-bit path rounds and clips
    the intermediate image and the result to 0..255."""
    rows, cols = _weights(img.shape[0], size[0]), _weights(img.shape[1],
                                                           size[1])
    out = np.einsum('jkc,lk->jlc', img.astype(np.float64), cols)
    if uint8:
        out = np.clip(np.floor(out + 0.5), 0, 255)
    out = np.einsum('ij,jlc->ilc', rows, out)
    return np.clip(np.floor(out + 0.5), 0, 255) if uint8 else out


@pytest.mark.parametrize('scale,size', [(1.5, (9, 8)), (0.5, (3, 2)),
                                        (0.75, (4, 4))])
def test_rescale_matches_bicubic_reference(scale, size):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (6, 5, 3)).astype(np.uint8)
    label = rng.integers(0, 4, (6, 5)).astype(np.uint8)
    # sizes: round(6 s), round(5 s), half to even (5 * 1.5 = 7.5 -> 8,
    # 5 * 0.5 = 2.5 -> 2)
    ref = bicubic_reference(img, size)
    out = build(dict(type='IRNRandomRescale', float_resize=True))(
        dict(img=img.copy(), ir_label=label, scale=scale))
    assert out['img'].dtype == np.float32 and out['img'].shape == size + (3, )
    np.testing.assert_allclose(out['img'], ref, atol=2e-3)
    assert out['scale'] == scale and out['img_shape'] == size
    # official: PIL resizes the uint8 image (rounded, clipped), as float32
    out = build(dict(type='IRNRandomRescale'))(
        dict(img=img.copy(), ir_label=label, scale=scale))
    assert out['img'].dtype == np.float32
    assert np.all(out['img'] == np.round(out['img']))
    assert np.abs(out['img'] - bicubic_reference(img, size, True)).max() <= 1
    # label: PIL nearest, the same source rows / columns for every value
    # (floor((i + 1/2) H / h) up to PIL's handling of exact ties)
    ys = np.asarray(Image.fromarray(np.arange(6, dtype=np.uint8)[:, None])
                    .resize((1, size[0]), Image.NEAREST))[:, 0]
    xs = np.asarray(Image.fromarray(np.arange(5, dtype=np.uint8)[None])
                    .resize((size[1], 1), Image.NEAREST))[0]
    np.testing.assert_array_equal(out['ir_label'], label[np.ix_(ys, xs)])
    assert np.abs(ys - (np.arange(size[0]) + 0.5) * 6 / size[0]).max() <= 1


def test_rescale_official_rounding_vs_float():
    """Bicubic overshoot of a 0/255 stripe image: clipped in the official
    uint8 path, kept by float_resize."""
    img = np.zeros((4, 4, 3), np.uint8)
    img[:, 2:] = 255
    official = build(dict(type='IRNRandomRescale'))(
        dict(img=img.copy(), scale=2.0))['img']
    clean = build(dict(type='IRNRandomRescale', float_resize=True))(
        dict(img=img.copy(), scale=2.0))['img']
    assert official.min() == 0 and official.max() == 255
    assert clean.min() < 0 and clean.max() > 255


def test_rescale_random_draw_and_identity():
    random.seed(3)
    expected = 0.5 + random.Random(3).random() * 1.0
    img = np.full((10, 20, 3), 7, np.uint8)
    out = build(dict(type='IRNRandomRescale'))(dict(img=img))
    assert out['scale'] == pytest.approx(expected)
    assert out['img'].shape[:2] == (round(10 * expected), round(20 * expected))
    np.testing.assert_array_equal(out['img'], 7)
    out = build(dict(type='IRNRandomRescale'))(dict(img=img, scale=1.0))
    np.testing.assert_array_equal(out['img'], img)
    with pytest.raises(ValueError, match='scale_range'):
        build(dict(type='IRNRandomRescale', scale_range=(1.5, 0.5)))


def test_flip_explicit_and_random():
    img = np.arange(2 * 3 * 3, dtype=np.float32).reshape(2, 3, 3)
    label = np.array([[0, 1, 2], [3, 4, 255]], np.uint8)
    out = build(dict(type='IRNRandomFlip'))(
        dict(img=img.copy(), ir_label=label.copy(), flip=True))
    np.testing.assert_array_equal(out['ir_label'], [[2, 1, 0], [255, 4, 3]])
    np.testing.assert_array_equal(out['img'][0, 0], img[0, 2])
    assert out['flip_direction'] == 'horizontal'
    out = build(dict(type='IRNRandomFlip'))(
        dict(img=img.copy(), ir_label=label.copy(), flip=False))
    np.testing.assert_array_equal(out['ir_label'], label)
    random.seed(5)
    expected = bool(random.Random(5).getrandbits(1))
    out = build(dict(type='IRNRandomFlip'))(dict(img=img.copy()))
    assert out['flip'] is expected


def test_crop_larger_image_explicit_box():
    img = np.arange(6 * 8 * 3, dtype=np.uint8).reshape(6, 8, 3)
    label = np.arange(48, dtype=np.uint8).reshape(6, 8)
    out = build(dict(type='IRNRandomCrop', crop_size=4))(
        dict(img=img, ir_label=label, crop_box=(0, 0, 1, 3)))
    np.testing.assert_array_equal(out['img'], img[1:5, 3:7])
    np.testing.assert_array_equal(out['ir_label'], label[1:5, 3:7])
    assert out['img'].dtype == np.float32 and out['img_shape'] == (4, 4)


def test_crop_smaller_image_is_placed_and_padded():
    img = np.full((2, 3, 3), 9, np.uint8)
    label = np.array([[1, 2, 3], [4, 5, 6]], np.uint8)
    out = build(dict(type='IRNRandomCrop', crop_size=4))(
        dict(img=img, ir_label=label, crop_box=(1, 0, 0, 0)))
    expected = np.full((4, 4), 255, np.uint8)
    expected[1:3, 0:3] = label
    np.testing.assert_array_equal(out['ir_label'], expected)
    assert np.all(out['img'][1:3, :3] == 9)
    np.testing.assert_allclose(out['img'][0, 0], BGR_MEAN, rtol=1e-6)
    np.testing.assert_allclose(out['img'][3, 3], BGR_MEAN, rtol=1e-6)
    # the mean-colour padding becomes 0 after the data preprocessor
    prep = ImgDataPreprocessor(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True)
    inputs = prep(dict(inputs=[torch.from_numpy(out['img']).permute(2, 0,
                                                                     1)]),
                  False)['inputs']
    torch.testing.assert_close(inputs[0, :, 0, 0], torch.zeros(3),
                               atol=1e-6, rtol=0)
    torch.testing.assert_close(inputs[0, :, 3, :], torch.zeros(3, 4),
                               atol=1e-5, rtol=0)


def test_crop_random_offsets_columns_first():
    img = np.zeros((3, 10, 3), np.uint8)  # rows shorter, columns longer
    random.seed(11)
    ref = random.Random(11)
    img_left = ref.randrange(10 - 5 + 1)  # columns first
    cont_top = ref.randrange(5 - 3 + 1)
    out = build(dict(type='IRNRandomCrop', crop_size=5))(
        dict(img=img, ir_label=np.zeros((3, 10), np.uint8)))
    assert out['crop_box'] == (cont_top, 0, 0, img_left)
    rows = np.where((out['ir_label'] != 255).any(axis=1))[0]
    assert rows.tolist() == list(range(cont_top, cont_top + 3))


def test_crop_bad_box():
    crop = build(dict(type='IRNRandomCrop', crop_size=4))
    with pytest.raises(ValueError, match='crop_box'):
        crop(dict(img=np.zeros((6, 8, 3), np.uint8), crop_box=(0, 0, 3, 0)))


def test_nearest_downsample_samples_4i_plus_2():
    label = np.arange(64, dtype=np.uint8).reshape(8, 8)
    out = build(dict(type='NearestDownsample', factor=4))(
        dict(ir_label=label))['ir_label']
    np.testing.assert_array_equal(out, [[18, 22], [50, 54]])  # (2|6, 2|6)
    # 10 x 9: (round(2.5), round(2.25)) = (2, 2) cells at rows
    # floor((i + 1/2) 5) = 2, 7 and columns floor((j + 1/2) 4.5) = 2, 6
    label = np.arange(90, dtype=np.uint8).reshape(10, 9)
    np.testing.assert_array_equal(nearest_downsample(label, 4),
                                  label[np.ix_([2, 7], [2, 6])])
    pil = np.asarray(Image.fromarray(label).resize((2, 2), Image.NEAREST))
    np.testing.assert_array_equal(nearest_downsample(label, 4), pil)


def loop_pair_labels(label, radius, num_classes):
    """Pair labels by a loop over the PathIndex pairs (grouped order)."""
    index = PathIndex(radius, label.shape)
    h, w = label.shape
    rf = radius - 1
    sources = [(y, x) for y in range(h - rf) for x in range(rf, w - rf)]
    out = np.zeros((3, index.num_dirs, len(sources)), np.float32)
    for d, (dy, dx) in enumerate(index.search_dst):
        for s, (y, x) in enumerate(sources):
            f, t = label[y, x], label[y + dy, x + dx]
            if f < num_classes and t < num_classes:
                k = 2 if f != t else (0 if f == 0 else 1)
                out[k, d, s] = 1
    return out


def test_path_pair_labels_against_loop():
    rng = np.random.default_rng(0)
    label = rng.integers(0, 4, (6, 7)).astype(np.uint8)
    label[rng.random((6, 7)) < 0.2] = 255
    label[label == 3] = 9  # beyond num_classes: invalid
    out = build(dict(type='PathPairLabels', radius=3, num_classes=4))(
        dict(ir_label=label))
    ref = loop_pair_labels(label, 3, 4)
    for k, name in enumerate(('bg_pos', 'fg_pos', 'neg')):
        assert out[name].dtype == np.float32
        np.testing.assert_array_equal(out[name], ref[k])


def test_pipeline_explicit_scale_flip_crop(tmp_path):
    """LoadIRLabel -> rescale (s = 1) -> flip -> crop 12 -> /4 -> pairs."""
    label = np.zeros((10, 12), np.uint8)
    label[2:8, 1:5] = 1
    label[0, :] = 255
    path = str(tmp_path / 'x.png')
    Image.fromarray(label).save(path)
    img = np.random.default_rng(1).integers(0, 256, (10, 12, 3)).astype(
        np.uint8)
    pipeline = [build(cfg) for cfg in (
        dict(type='LoadIRLabel', num_classes=20),
        dict(type='IRNRandomRescale'), dict(type='IRNRandomFlip'),
        dict(type='IRNRandomCrop', crop_size=12),
        dict(type='NearestDownsample', factor=4),
        dict(type='PathPairLabels', radius=2, num_classes=21))]
    results = dict(img=img, aff_label_path=path, scale=1.0, flip=True,
                   crop_box=(1, 0, 0, 0))
    for t in pipeline:
        results = t(results)
    crop = np.full((12, 12), 255, np.uint8)
    crop[1:11] = label[:, ::-1]
    np.testing.assert_array_equal(results['ir_label'],
                                  crop[np.ix_([2, 6, 10], [2, 6, 10])])
    ref = loop_pair_labels(results['ir_label'], 2, 21)
    np.testing.assert_array_equal(results['neg'], ref[2])
    np.testing.assert_array_equal(results['fg_pos'], ref[1])
    assert results['img'].shape == (12, 12, 3)
    np.testing.assert_array_equal(results['img'][1:11], img[:, ::-1])


def test_load_ir_label_errors(tmp_path):
    load = build(dict(type='LoadIRLabel', num_classes=2))
    with pytest.raises(MissingInputError, match='IRLabelMaker'):
        load(dict(aff_label_path=str(tmp_path / 'none.png')))
    path = str(tmp_path / 'x.png')
    Image.fromarray(np.array([[0, 3]], np.uint8)).save(path)
    with pytest.raises(InvalidInputError, match='outside'):
        load(dict(aff_label_path=path))
    Image.fromarray(np.array([[0, 2, 255]], np.uint8)).save(path)
    with pytest.raises(InvalidInputError, match='regenerate'):
        load(dict(aff_label_path=path, img=np.zeros((2, 3, 3), np.uint8)))
    out = load(dict(aff_label_path=path, img=np.zeros((1, 3, 3), np.uint8)))
    np.testing.assert_array_equal(out['ir_label'], [[0, 2, 255]])
