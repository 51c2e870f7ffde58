import numpy as np
import pytest

from mmwsss.registry import TRANSFORMS


def jitter(**kwargs):
    return TRANSFORMS.build(dict(type='FixedOrderColorJitter', **kwargs))


def image(seed=0):
    return np.random.default_rng(seed).integers(
        0, 256, (5, 7, 3)).astype(np.uint8)


def gray(img_bgr):
    return img_bgr.astype(np.float32) @ np.array([0.114, 0.587, 0.299],
                                                 np.float32)


def test_identity_factors():
    t = jitter()
    t.factors = lambda: (1.0, 1.0, 1.0)
    img = image()
    assert np.array_equal(t(dict(img=img.copy()))['img'], img)


def test_brightness_contrast_saturation_in_order():
    t = jitter()
    t.factors = lambda: (1.3, 0.6, 1.4)
    img = image(1)
    x = np.clip(img.astype(np.float32) * 1.3, 0, 255)
    x = np.clip(0.6 * x + 0.4 * gray(x).mean(), 0, 255)
    x = np.clip(1.4 * x - 0.4 * gray(x)[..., None], 0, 255)
    out = t(dict(img=img.copy()))['img']
    assert out.dtype == np.uint8
    assert np.abs(out.astype(int) - np.round(x).astype(int)).max() == 0
    # another order gives another image
    y = np.clip(1.4 * img - 0.4 * gray(img)[..., None], 0, 255)
    y = np.clip(np.clip(y * 1.3, 0, 255) * 0.6 + 0.4 * gray(
        np.clip(y * 1.3, 0, 255)).mean(), 0, 255)
    assert not np.array_equal(out, np.round(y).astype(np.uint8))


def test_saturation_keeps_gray_images_and_random_factors_in_range():
    t = jitter(brightness=0, contrast=0)
    flat = np.full((4, 4, 3), 77, np.uint8)
    np.random.seed(0)
    assert np.array_equal(t(dict(img=flat.copy()))['img'], flat)
    t = jitter()
    for _ in range(20):
        assert all(0.5 <= f <= 1.5 for f in t.factors())
    off = jitter(brightness=0, contrast=0, saturation=0)
    assert off.factors() == (1.0, 1.0, 1.0)


def test_bad_args():
    with pytest.raises(ValueError, match='brightness'):
        jitter(brightness=1.5)
    with pytest.raises(ValueError, match='channel_order'):
        jitter(channel_order='hsv')
