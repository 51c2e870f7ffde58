"""ReconstructionUNet: ACR's decoder G_D (supplement Table A1, official
``GeneratorUNet`` of sangrockEG/ACR) and its small and paper variants."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmwsss.models.reconstructors import ReconstructionUNet
from mmwsss.registry import MODELS

SMALL = dict(in_channels=12, channels=(8, 16, 32, 32, 32),
             dropout=(0, 0, 0, .5, .5))


def table_a1_parameters():
    """Parameter count of Table A1 by hand: 4x4 convs without bias,
    (in, out) per row; the final 3x3 conv 128 -> 3 with bias."""
    downs = [(448, 64), (64, 128), (128, 256), (256, 512)] + [(512, 512)] * 4
    ups = [(512, 512)] + [(1024, 512)] * 3 + [(1024, 256), (512, 128),
                                              (256, 64)]
    return sum(16 * i * o for i, o in downs + ups) + 128 * 3 * 9 + 3


def test_table_a1_layout_and_parameter_count():
    net = MODELS.build(dict(type='ReconstructionUNet'))
    assert table_a1_parameters() == 54_857_091
    assert sum(p.numel() for p in net.parameters()) == 54_857_091
    names = [n for n, _ in net.named_parameters()]
    assert names == ([f'down{k}.conv.weight' for k in range(1, 9)] +
                     [f'up{j}.conv.weight' for j in range(1, 8)] +
                     ['final.conv.weight', 'final.conv.bias'])
    # norm: none in down1 and down8, affine-free InstanceNorm elsewhere
    for k in range(1, 9):
        norm = getattr(net, f'down{k}').norm
        if k in (1, 8):
            assert isinstance(norm, nn.Identity)
        else:
            assert isinstance(norm, nn.InstanceNorm2d) and not norm.affine
            assert not norm.track_running_stats and norm.eps == 1e-5
    for j in range(1, 8):
        up = getattr(net, f'up{j}')
        assert isinstance(up.norm, nn.InstanceNorm2d) and not up.norm.affine
        assert type(up.act) is nn.ReLU
        assert isinstance(up.conv, nn.ConvTranspose2d)
        assert up.conv.kernel_size == (4, 4) and up.conv.stride == (2, 2)
    # element-wise Dropout(0.5) in down4..down8 and up1..up4 only
    for name in [f'down{k}' for k in range(1, 9)] + \
            [f'up{j}' for j in range(1, 8)]:
        drop = getattr(net, name).drop
        if name in ('down4', 'down5', 'down6', 'down7', 'down8', 'up1',
                    'up2', 'up3', 'up4'):
            assert type(drop) is nn.Dropout and drop.p == 0.5
        else:
            assert isinstance(drop, nn.Identity)
    assert type(net.down1.act) is nn.LeakyReLU
    assert net.down1.act.negative_slope == 0.2
    assert net.final.upsample.mode == 'nearest'
    assert net.final.conv.kernel_size == (3, 3)
    assert net.final.conv.padding == (1, 1)


def test_table_a1_shapes_on_256():
    net = ReconstructionUNet().eval()
    seen = {}
    for name, module in net.named_children():
        module.register_forward_hook(
            lambda m, i, o, name=name: seen.__setitem__(name, o.shape[1:]))
    with torch.no_grad():
        out = net(torch.randn(1, 448, 256, 256))
    assert out.shape == (1, 3, 256, 256)
    downs = [64, 128, 256, 512, 512, 512, 512, 512]
    for k, c in enumerate(downs, 1):
        assert seen[f'down{k}'] == (c, 256 >> k, 256 >> k)
    # after concatenation: U7 (up1) ... U1 (up7)
    ups = [1024, 1024, 1024, 1024, 512, 256, 128]
    for j, c in enumerate(ups, 1):
        assert seen[f'up{j}'] == (c, 1 << j, 1 << j)


def test_small_version_96():
    net = ReconstructionUNet(**SMALL)
    assert net.depth == 5
    out = net(torch.randn(2, 12, 96, 96))
    assert out.shape == (2, 3, 96, 96)
    assert net.up1.conv.in_channels == 32 and net.up4.conv.out_channels == 8
    assert net.final.conv.in_channels == 16


def test_wrong_size_and_channels():
    net = ReconstructionUNet(**SMALL)
    with pytest.raises(ValueError, match=r'80x96 is not a multiple of '
                       r'2\*\*depth = 32'):
        net(torch.randn(1, 12, 80, 96))
    with pytest.raises(ValueError, match=r'\(B, 12, H, W\)'):
        net(torch.randn(1, 11, 96, 96))


def test_bad_settings():
    with pytest.raises(ValueError, match='one dropout probability per down'):
        ReconstructionUNet(in_channels=4, channels=(8, 16, 32))
    with pytest.raises(ValueError, match='at least two'):
        ReconstructionUNet(in_channels=4, channels=(8, ), dropout=(0, ))
    with pytest.raises(ValueError, match='up_act|activation'):
        ReconstructionUNet(**SMALL, up_act='gelu')
    with pytest.raises(ValueError, match='final_upsample'):
        ReconstructionUNet(**SMALL, final_upsample='bicubic')
    with pytest.raises(ValueError, match='final_kernel'):
        ReconstructionUNet(**SMALL, final_kernel=5)
    with pytest.raises(ValueError, match=r'\[0, 1\)'):
        ReconstructionUNet(in_channels=4, channels=(8, 8), dropout=(0, 1))


def test_paper_variants_change_layers():
    net = ReconstructionUNet(
        **SMALL, up_act='lrelu', final_upsample='bilinear', final_kernel=1)
    for j in range(1, 5):
        act = getattr(net, f'up{j}').act
        assert type(act) is nn.LeakyReLU and act.negative_slope == 0.2
    assert net.final.upsample.mode == 'bilinear'
    assert net.final.upsample.align_corners is False
    assert net.final.conv.kernel_size == (1, 1)
    assert net.final.conv.padding == (0, 0)
    assert net(torch.randn(1, 12, 32, 32)).shape == (1, 3, 32, 32)


def test_matches_functional_composition():
    """Depth 3 against torch.nn.functional by hand (eval, no dropout)."""
    torch.manual_seed(0)
    net = ReconstructionUNet(in_channels=2, channels=(3, 4, 5),
                             dropout=(0, .5, .5)).double().eval()
    x = torch.randn(2, 2, 16, 8, dtype=torch.float64)
    w = {k: v for k, v in net.state_dict().items()}
    d1 = F.leaky_relu(F.conv2d(x, w['down1.conv.weight'], None, 2, 1), 0.2)
    d2 = F.leaky_relu(F.instance_norm(
        F.conv2d(d1, w['down2.conv.weight'], None, 2, 1)), 0.2)
    d3 = F.leaky_relu(F.conv2d(d2, w['down3.conv.weight'], None, 2, 1), 0.2)
    u1 = torch.cat((F.relu(F.instance_norm(F.conv_transpose2d(
        d3, w['up1.conv.weight'], None, 2, 1))), d2), 1)
    u2 = torch.cat((F.relu(F.instance_norm(F.conv_transpose2d(
        u1, w['up2.conv.weight'], None, 2, 1))), d1), 1)
    up = F.interpolate(u2, scale_factor=2, mode='nearest')
    expected = F.conv2d(up, w['final.conv.weight'], w['final.conv.bias'],
                        padding=1)
    assert torch.allclose(net(x), expected, atol=1e-12)


def test_loads_plain_tensors_and_dropout_switch():
    net = ReconstructionUNet(**SMALL)
    gen = torch.Generator().manual_seed(1)
    state = {k: torch.randn(v.shape, generator=gen)
             for k, v in net.state_dict().items()}
    assert 'down3.conv.weight' in state and 'up2.conv.weight' in state
    net.load_state_dict(state, strict=True)
    assert torch.equal(net.final.conv.bias, state['final.conv.bias'])
    x = torch.randn(2, 12, 32, 32)
    net.eval()
    assert torch.equal(net(x), net(x))
    net.train()
    torch.manual_seed(0)
    first = net(x)
    assert not torch.equal(first, net(x))
