"""AffinityNet at toy width: loss mode, gradients, tensor mode and
predict_affinity (normalisation, padding, radius by rule)."""
import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from mmwsss.datasets.transforms.psa_affinity_labels import psa_affinity_labels
from mmwsss.ops import search_directions
from mmwsss.registry import MODELS

MEAN = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1)


def toy_net(**kwargs):
    cfg = dict(
        type='AffinityNet',
        backbone=dict(
            type='ResNet38d',
            width_mult=0.0625,
            dropout=(0.3, 0.5),
            frozen_stages=('conv1a', 'b2', 'b2_1', 'b2_2'),
            norm_eval=True,
            out_indices=('b5_in', 'b6_in', 'final')),
        head=dict(type='AffinityHead', in_channels=(32, 64, 256),
                  channels=(16, 32, 64)))
    cfg.update(kwargs)
    torch.manual_seed(0)
    net = MODELS.build(cfg)
    net.init_weights()
    return net


def batch(num=2, crop=96, radius_rule='psa'):
    """Packed samples as the training pipeline makes them (BGR uint8)."""
    rng = np.random.default_rng(0)
    data = dict(inputs=[], data_samples=[])
    for _ in range(num):
        img = rng.integers(0, 256, (crop, crop, 3), dtype=np.uint8)
        scores = rng.random((2, 3, crop, crop)).astype(np.float32)
        scores[1, 0] *= 1.5  # more background at the high power
        out = psa_affinity_labels(
            img, scores[0], scores[1], crop=dict(container=(0, 0),
                                                 image=(0, 0)),
            crop_size=crop, radius_rule=radius_rule)
        sample = BaseDataElement()
        for key in ('bg_pos', 'fg_pos', 'neg'):
            sample.set_field(torch.from_numpy(out[key]), key)
        data['inputs'].append(torch.from_numpy(img).permute(2, 0, 1))
        data['data_samples'].append(sample)
    return data


def test_loss_mode_and_gradients():
    net = toy_net()
    net.train()
    data = net.data_preprocessor(batch(), training=True)
    assert data['inputs'].shape == (2, 3, 96, 96)
    losses = net(**data, mode='loss')
    assert set(losses) == {'loss', 'aff_bg', 'aff_fg', 'aff_neg', 'count_bg',
                           'count_fg', 'count_neg'}
    assert torch.isfinite(losses['loss'])
    # the labels cover the 12 x 12 grid's 34 x (8 x 4) psa pairs
    counts = sum(losses[f'count_{k}'] for k in ('bg', 'fg', 'neg'))
    assert 0 < counts <= 2 * 34 * 32
    loss, _ = net.parse_losses(losses)
    loss.backward()
    for name in ('f8_3', 'f8_4', 'f8_5', 'f9'):
        grad = getattr(net.head, name).weight.grad
        assert grad is not None and grad.abs().sum() > 0
    assert net.backbone.b4.conv_branch2a.weight.grad.abs().sum() > 0
    assert net.backbone.conv1a.weight.grad is None  # frozen as psa
    assert net.backbone.bn7.weight.grad is None  # frozen BN
    assert not net.backbone.bn7.training  # BN kept in eval


def test_loss_checks_labels():
    net = toy_net()
    data = net.data_preprocessor(batch(), training=True)
    with pytest.raises(ValueError, match='CRFAffinityLabel'):
        net(data['inputs'], [BaseDataElement()] * 2, mode='loss')
    aeft = net.data_preprocessor(batch(crop=64, radius_rule='aeft'), True)
    with pytest.raises(ValueError, match='radius_rule'):
        net(**aeft, mode='loss')  # psa radius 5 on an 8 x 8 grid
    wrong = batch()  # radius 5 labels for a radius-3 network
    net3 = toy_net(radius=3)
    with pytest.raises(ValueError, match='do not match'):
        net3(**net3.data_preprocessor(wrong, True), mode='loss')
    net_aeft = toy_net(radius_rule='aeft')
    assert torch.isfinite(net_aeft(**aeft, mode='loss')['loss'])


def test_tensor_and_predict_modes():
    net = toy_net()
    phi = net(torch.zeros(1, 3, 64, 40), mode='tensor')
    assert phi.shape == (1, 112, 8, 5)
    with pytest.raises(NotImplementedError, match='predict_affinity'):
        net(torch.zeros(1, 3, 64, 64), mode='predict')


@pytest.mark.parametrize('rule,radius', [('psa', 5), ('aeft', 3)])
def test_predict_affinity(rule, radius):
    net = toy_net(radius_rule=rule)
    net.train()
    image = np.random.default_rng(1).integers(0, 256, (50, 70, 3),
                                              dtype=np.uint8)
    out = net.predict_affinity(image)
    assert net.training and net.backbone.b6.training  # mode restored
    # 50 x 70 -> padded 56 x 72 -> grid 7 x 9
    assert out['grid'] == (7, 9) and out['stride'] == 8
    assert out['radius'] == radius and out['pair_set'] == 'psa'
    n_src = (7 - radius + 1) * (9 - 2 * radius + 2)
    aff = out['affinity']
    assert aff.shape == (len(search_directions(radius)), n_src)
    assert aff.dtype == torch.float32 and not aff.requires_grad
    # RGB normalised with the preprocessor's mean / std, zero padding
    inputs = out['inputs']
    assert inputs.shape == (1, 3, 56, 72)
    rgb = torch.from_numpy(image).permute(2, 0, 1).float()
    assert torch.allclose(inputs[0, :, :50, :70], (rgb - MEAN) / STD)
    assert (inputs[0, :, 50:] == 0).all() and (inputs[0, :, :, 70:] == 0).all()
    # the same as the eval-mode network on those inputs
    net.eval()
    with torch.no_grad():
        phi = net(inputs, mode='tensor')
        ref = net.head.pair_affinities(phi, radius)[0]
    assert torch.allclose(aff, ref)
    with pytest.raises(ValueError, match=r'\(H, W, 3\)'):
        net.predict_affinity(image[..., 0])


def test_predict_affinity_on_a_grid_too_small():
    net = toy_net()
    with pytest.raises(ValueError, match="radius_rule='aeft'"):
        net.predict_affinity(np.zeros((30, 100, 3), np.uint8))
    with pytest.raises(ValueError, match='too small'):
        toy_net(radius_rule='aeft').predict_affinity(
            np.zeros((30, 100, 3), np.uint8))
