"""ACRReconstructor: encoder taps fused into X, aux CAM head, decoder
(official ``Net_recon`` of sangrockEG/ACR) at 1/16 width."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmwsss.registry import MODELS

WIDTH = 1 / 16  # trunk channels: b5_in 32, b6_in 64, final 256


def cfg(**overrides):
    c = dict(
        type='ACRReconstructor',
        encoder=dict(type='ResNet38d', width_mult=WIDTH,
                     out_indices=(3, 5, 6)),
        head=dict(type='GAPHead', num_classes=6, in_channels=256,
                  hidden_channels=16),
        decoder=dict(type='ReconstructionUNet', in_channels=56,
                     channels=(8, 16, 32, 32, 32), dropout=(0, ) * 5),
        tap_channels=(8, 16, 32))
    c.update(overrides)
    return c


def test_features_are_concatenated_taps_and_head_maps():
    torch.manual_seed(0)
    rec = MODELS.build(cfg())
    rec.init_weights()
    rec.eval()
    assert isinstance(rec.taps, nn.ModuleList)
    assert [tuple(t.weight.shape) for t in rec.taps] == [(8, 32, 1, 1),
                                                         (16, 64, 1, 1),
                                                         (32, 256, 1, 1)]
    assert all(t.bias is None for t in rec.taps)
    img = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        x, cams = rec.features(img)
        b5_in, b6_in, final = rec.encoder(img)
    assert x.shape == (2, 56, 12, 12) and cams.shape == (2, 6, 12, 12)
    expected = torch.cat([
        F.conv2d(f, t.weight) for f, t in zip((b5_in, b6_in, final),
                                              rec.taps)], dim=1)
    assert torch.allclose(x, expected, atol=1e-5)
    assert torch.allclose(cams, rec.head.class_maps(final), atol=1e-6)
    out = rec.decode(F.interpolate(x, size=(96, 96), mode='bilinear'))
    assert out.shape == (2, 3, 96, 96)


def test_taps_keep_pytorch_default_init():
    torch.manual_seed(0)
    rec = MODELS.build(cfg())
    before = [t.weight.clone() for t in rec.taps]
    rec.init_weights()
    for t, w in zip(rec.taps, before):
        assert torch.equal(t.weight, w)
        fan_in = t.weight.shape[1]
        assert t.weight.abs().max() <= fan_in**-0.5  # kaiming_uniform(√5)
    # the aux head is Xavier-initialised like the classifier's head
    hidden = rec.head.hidden.weight
    assert hidden.abs().max() <= (6 / (256 + 16))**0.5
    assert hidden.abs().max() > 256**-0.5  # wider than the default bound


def test_gradient_reaches_encoder_taps_and_decoder():
    rec = MODELS.build(cfg())
    rec.train()
    x, cams = rec.features(torch.randn(2, 3, 64, 64))
    out = rec.decode(F.interpolate(x, size=(64, 64), mode='bilinear'))
    (out.square().mean() + cams.mean()).backward()
    for module in (rec.taps[0], rec.taps[2], rec.head.hidden,
                   rec.decoder.down1.conv, rec.encoder.b7.conv_branch2b2):
        assert module.weight.grad is not None
        assert module.weight.grad.abs().sum() > 0
    # BN stays frozen in train mode (ResNet38d norm_eval)
    assert not rec.encoder.bn7.training


def test_bad_settings():
    with pytest.raises(ValueError, match='decoder in_channels = 56'):
        MODELS.build(cfg(tap_channels=(8, 16, 16)))
    with pytest.raises(ValueError, match='one tap width per encoder output'):
        MODELS.build(cfg(tap_channels=(24, 32)))
