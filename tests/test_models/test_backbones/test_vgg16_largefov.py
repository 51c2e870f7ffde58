import pytest
import torch
import torch.nn as nn

from mmwsss.registry import MODELS

NARROW = dict(stage_channels=(4, 4, 8, 8, 8), fc_channels=16)


def build(**kwargs):
    return MODELS.build(dict(type='VGG16LargeFOV', **kwargs))


def test_output_stride_8():
    model = build(**NARROW).eval()
    with torch.no_grad():
        (out, ) = model(torch.randn(1, 3, 321, 321))
    assert out.shape == (1, 16, 41, 41)  # 321 -> 161 -> 81 -> 41
    with torch.no_grad():
        (out, ) = model(torch.randn(2, 3, 64, 48))
    assert out.shape == (2, 16, 8, 6)
    assert (out >= 0).all()  # fc7 after ReLU


def test_layers_follow_deeplab_largefov():
    model = build()
    params = dict(model.named_parameters())
    names = [n.rsplit('.', 1)[0] for n in params if n.endswith('weight')]
    assert names == [
        'conv1_1', 'conv1_2', 'conv2_1', 'conv2_2', 'conv3_1', 'conv3_2',
        'conv3_3', 'conv4_1', 'conv4_2', 'conv4_3', 'conv5_1', 'conv5_2',
        'conv5_3', 'fc6', 'fc7'
    ]
    assert 20_000_000 < sum(p.numel() for p in params.values()) < 21_000_000
    for i in (1, 2, 3):
        conv5 = getattr(model, f'conv5_{i}')
        assert conv5.dilation == (2, 2) == conv5.padding
        assert getattr(model, f'conv4_{i}').dilation == (1, 1)
    assert model.fc6.dilation == (12, 12) == model.fc6.padding
    assert model.fc6.weight.shape == (1024, 512, 3, 3)
    assert model.fc7.weight.shape == (1024, 1024, 1, 1)
    for i, stride in zip(range(1, 6), (2, 2, 2, 1, 1)):
        pool = getattr(model, f'pool{i}')
        assert isinstance(pool, nn.MaxPool2d)
        assert (pool.kernel_size, pool.stride, pool.padding) == (3, stride,
                                                                 1)
    assert isinstance(model.pool5a, nn.AvgPool2d)
    assert model.drop6.p == 0.5 and model.drop7.p == 0.5
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    # BANA stage 1: fc6 without dilation
    assert build(fc6_dilation=1).fc6.dilation == (1, 1)


def test_dropout_only_in_train_mode():
    model = build(**NARROW)
    x = torch.randn(1, 3, 32, 32)
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(x)[0], model(x)[0])
    model.train()
    torch.manual_seed(0)
    with torch.no_grad():
        a = model(x)[0]
        b = model(x)[0]
    assert not torch.equal(a, b)


def test_bad_args():
    with pytest.raises(ValueError, match='dilation'):
        build(fc6_dilation=0)
    with pytest.raises(ValueError, match='stage_channels'):
        build(stage_channels=(4, 4))
