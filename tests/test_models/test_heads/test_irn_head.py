"""Tests for IRNHead (IRN's class-boundary and displacement branches)."""
import pytest
import torch
import torch.nn.functional as F

from mmwsss.models import IRNHead, ResNet50Stages

OFFICIAL_KEYS = (
    [f'fc_edge{i}.{k}' for i in range(1, 6)
     for k in ('0.weight', '1.weight', '1.bias')] +
    ['fc_edge6.weight', 'fc_edge6.bias'] +
    [f'fc_dp{i}.{k}' for i in range(1, 7)
     for k in ('0.weight', '1.weight', '1.bias')] +
    ['mean_shift.running_mean', 'fc_dp7.0.weight', 'fc_dp7.1.weight',
     'fc_dp7.1.bias', 'fc_dp7.3.weight', 'fc_dp7.4.running_mean'])


def unit(x, sd, name, groups, up=1):
    x = F.conv2d(x, sd[f'{name}.0.weight'])
    x = F.group_norm(x, groups, sd[f'{name}.1.weight'], sd[f'{name}.1.bias'])
    if up > 1:
        x = F.interpolate(x, scale_factor=up, mode='bilinear',
                          align_corners=False)
    return F.relu(x)


def reference(feats, sd, ge=4, gd=(8, 16, 16), eval_mode=False):
    """IRN's Net.forward written with functional ops."""
    x1, x2, x3, x4, x5 = feats
    e2 = unit(x2, sd, 'fc_edge2', ge)
    h, w = e2.shape[-2:]
    edges = [unit(x1, sd, 'fc_edge1', ge), e2,
             unit(x3, sd, 'fc_edge3', ge, 2)[..., :h, :w],
             unit(x4, sd, 'fc_edge4', ge, 4)[..., :h, :w],
             unit(x5, sd, 'fc_edge5', ge, 4)[..., :h, :w]]
    edge = F.conv2d(torch.cat(edges, 1), sd['fc_edge6.weight'],
                    sd['fc_edge6.bias'])
    d1 = unit(x1, sd, 'fc_dp1', gd[0])
    d2 = unit(x2, sd, 'fc_dp2', gd[1])
    d3 = unit(x3, sd, 'fc_dp3', gd[2])
    h3, w3 = d3.shape[-2:]
    d4 = unit(x4, sd, 'fc_dp4', gd[2], 2)[..., :h3, :w3]
    d5 = unit(x5, sd, 'fc_dp5', gd[2], 2)[..., :h3, :w3]
    d6 = unit(torch.cat([d3, d4, d5], 1), sd, 'fc_dp6', gd[2], 2)[..., :h, :w]
    dp = unit(torch.cat([d1, d2, d6], 1), sd, 'fc_dp7', gd[2])
    dp = F.conv2d(dp, sd['fc_dp7.3.weight'])
    if eval_mode:
        dp = dp - sd['mean_shift.running_mean'].view(1, 2, 1, 1)
    return edge, dp


def test_official_parameter_names():
    head = IRNHead()
    assert list(head.state_dict()) == OFFICIAL_KEYS
    sd = head.state_dict()
    assert sd['fc_edge6.weight'].shape == (1, 160, 1, 1)
    assert sd['fc_dp6.0.weight'].shape == (256, 768, 1, 1)
    assert sd['fc_dp7.0.weight'].shape == (256, 448, 1, 1)
    assert sd['fc_dp7.3.weight'].shape == (2, 256, 1, 1)
    assert head.fc_dp7[4] is head.mean_shift
    assert head.fc_edge6.bias is not None and head.fc_dp7[3].bias is None
    assert head.fc_edge3[1].num_groups == 4 and head.fc_dp1[1].num_groups == 8
    assert head.fc_dp2[1].num_groups == 16


@pytest.mark.parametrize('size', [(64, 64), (45, 62), (33, 17)])
def test_forward_matches_reference(size):
    torch.manual_seed(0)
    trunk = ResNet50Stages(base_channels=8, frozen=False).double().eval()
    head = IRNHead(in_channels=trunk.out_channels, edge_channels=8,
                   edge_groups=2, dp_channels=(8, 16, 32),
                   dp_groups=(2, 4, 4)).double()
    feats = trunk(torch.randn(2, 3, *size, dtype=torch.float64))
    head.mean_shift.running_mean.copy_(torch.tensor([0.25, -1.5]))
    sd = head.state_dict()
    h4, w4 = (size[0] - 1) // 4 + 1, (size[1] - 1) // 4 + 1
    head.train()
    edge, dp = head(feats)
    assert edge.shape == (2, 1, h4, w4) and dp.shape == (2, 2, h4, w4)
    ref_edge, ref_dp = reference(feats, sd, 2, (2, 4, 4))
    torch.testing.assert_close(edge, ref_edge, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(dp, ref_dp, rtol=1e-10, atol=1e-10)
    head.eval()  # mean shift only in eval
    edge_e, dp_e = head(feats)
    torch.testing.assert_close(edge_e, edge)
    torch.testing.assert_close(
        dp_e, dp - torch.tensor([0.25, -1.5], dtype=torch.float64).view(
            1, 2, 1, 1))


def test_full_width_512():
    trunk = ResNet50Stages()
    head = IRNHead()
    with torch.no_grad():
        edge, dp = head(trunk(torch.randn(1, 3, 512, 512)))
    assert edge.shape == (1, 1, 128, 128) and dp.shape == (1, 2, 128, 128)


def test_gradients_reach_both_branches():
    trunk = ResNet50Stages(base_channels=8)
    head = IRNHead(in_channels=trunk.out_channels)
    edge, dp = head(trunk(torch.randn(2, 3, 32, 32)))
    (edge.sum() + dp.sum()).backward()
    assert head.fc_edge5[0].weight.grad.abs().sum() > 0
    assert head.fc_dp5[0].weight.grad.abs().sum() > 0
    assert head.fc_edge6.bias.grad is not None


def test_bad_arguments():
    with pytest.raises(ValueError, match='5 backbone outputs'):
        IRNHead(in_channels=(64, 256, 512))
    with pytest.raises(ValueError, match='divisible'):
        IRNHead(edge_channels=30)
    with pytest.raises(ValueError, match='5 backbone outputs'):
        IRNHead()([torch.zeros(1, 64, 4, 4)] * 4)
