import pytest
import torch
import torch.nn.functional as F

from mmwsss.models.utils import max_normalize, multi_scale_cam


def pointwise(x):
    """A per-pixel (hence flip-equivariant) two-class map."""
    return torch.stack([x[:, 0] - x[:, 1], x[:, 2]], dim=1)


def test_single_scale_equals_relu_max_norm():
    torch.manual_seed(0)
    img = torch.randn(2, 3, 9, 11)
    cams = multi_scale_cam(pointwise, img, scales=(1.0, ), flip=False)
    ref = pointwise(img).relu()
    ref = ref / (ref.flatten(2).max(-1).values[..., None, None] + 1e-5)
    assert cams.shape == (2, 2, 9, 11)
    assert torch.allclose(cams, ref, atol=1e-6)


def test_flip_of_equivariant_map_changes_nothing():
    img = torch.randn(1, 3, 8, 8)
    plain = multi_scale_cam(pointwise, img, flip=False, normalize=False)
    flipped = multi_scale_cam(pointwise, img, flip=True, normalize=False)
    assert torch.allclose(flipped, 2 * plain, atol=1e-5)


def test_flip_is_undone():
    """A map that marks the left half must stay on the left after the flip
    pass is flipped back."""
    def left_half(x):
        out = torch.zeros(x.shape[0], 1, *x.shape[-2:])
        out[..., :x.shape[-1] // 2] = 1.0
        return out

    img = torch.zeros(1, 3, 4, 8)
    cams = multi_scale_cam(left_half, img, flip=True, normalize=False)
    assert torch.allclose(cams[0, 0, :, :4], torch.ones(4, 4))
    assert torch.allclose(cams[0, 0, :, 4:], torch.ones(4, 4))
    cams = multi_scale_cam(left_half, img, flip=False, normalize=False)
    assert cams[0, 0, :, 4:].abs().sum() == 0


def test_multi_scale_sums_upsampled_maps():
    torch.manual_seed(1)
    img = torch.randn(1, 3, 16, 12)

    def stride2(x):
        return F.avg_pool2d(pointwise(x), 2)

    cams = multi_scale_cam(stride2, img, scales=(1.0, 0.5), flip=False,
                           normalize=False)
    expected = 0
    for scale in (1.0, 0.5):
        x = img if scale == 1.0 else F.interpolate(
            img, scale_factor=scale, mode='bilinear', align_corners=False)
        expected = expected + F.interpolate(
            stride2(x), size=(16, 12), mode='bilinear',
            align_corners=False).relu()
    assert cams.shape == (1, 2, 16, 12)
    assert torch.allclose(cams, expected, atol=1e-5)


def test_relu_before_upsample_differs_and_range():
    torch.manual_seed(2)
    img = torch.randn(1, 3, 16, 16)

    def stride4(x):
        return F.avg_pool2d(pointwise(x), 4)

    after = multi_scale_cam(stride4, img, flip=False)
    before = multi_scale_cam(stride4, img, flip=False,
                             relu_before_upsample=True)
    assert not torch.allclose(after, before)
    for cams in (after, before):
        assert cams.min() >= 0 and cams.max() <= 1
        peaks = cams.flatten(2).max(-1).values
        assert torch.all((peaks > 0.99) | (peaks == 0))


def test_max_normalize_and_bad_scales():
    x = torch.tensor([[[[0.0, 2.0], [1.0, 4.0]]]])
    assert torch.allclose(max_normalize(x, eps=0.0), x / 4)
    with pytest.raises(ValueError):
        multi_scale_cam(pointwise, torch.zeros(1, 3, 4, 4), scales=())
    with pytest.raises(ValueError):
        multi_scale_cam(pointwise, torch.zeros(1, 3, 4, 4), scales=(0.0, ))


def test_minmax_normalisation_at_full_resolution():
    """ACR's N: ReLU(S − min S − eps) / (max S − min S + eps) per map, after
    the upsampling and summing; the minimum becomes an exact 0."""
    torch.manual_seed(2)
    img = torch.randn(2, 3, 10, 12)

    def positive(x):  # no zeros from the ReLU: the floor is the minimum
        return F.avg_pool2d(pointwise(x), 2).exp()

    raw = multi_scale_cam(positive, img, scales=(1.0, 0.5), normalize=False)
    assert (raw.flatten(2).min(-1).values > 0).all()
    cams = multi_scale_cam(positive, img, scales=(1.0, 0.5),
                           normalize='minmax')
    low = raw.flatten(2).min(-1).values[..., None, None]
    high = raw.flatten(2).max(-1).values[..., None, None]
    expected = (raw - low - 1e-5).clamp(min=0) / (high - low + 1e-5)
    assert torch.allclose(cams, expected, atol=1e-6)
    assert (cams.flatten(2).min(-1).values == 0).all()
    assert cams.max() <= 1
    # the max normalisation keeps the floor: only minmax zeroes the minimum
    maxed = multi_scale_cam(positive, img, scales=(1.0, 0.5),
                            normalize='max')
    assert (maxed.flatten(2).min(-1).values > 0).all()


def test_normalize_values_and_errors():
    img = torch.randn(1, 3, 6, 6)
    as_true = multi_scale_cam(pointwise, img, normalize=True)
    assert torch.equal(as_true,
                       multi_scale_cam(pointwise, img, normalize='max'))
    raw = multi_scale_cam(pointwise, img, normalize=False)
    for off in (None, 'none'):
        assert torch.equal(raw, multi_scale_cam(pointwise, img,
                                                normalize=off))
    for bad in ('l2', 1, 0.5):
        with pytest.raises(ValueError, match='cam_cfg.normalize'):
            multi_scale_cam(pointwise, img, normalize=bad)
