"""Tests for ResNet50Stages (IRN's torchvision-layout ResNet-50 trunk)."""
import pytest
import torch
import torch.nn.functional as F

from mmwsss.models.backbones import ResNet50Stages
from mmwsss.utils import InvalidInputError, MissingInputError

DEPTHS = (3, 4, 6, 3)
BN_KEYS = ('weight', 'bias', 'running_mean', 'running_var')


def torchvision_keys(fc: bool = True, counters: bool = True) -> list:
    """The state-dict keys of torchvision's resnet50, written out from its
    layout (conv1/bn1, layer1..4 of Bottleneck conv1-3/bn1-3 and a
    downsample 0 (conv) / 1 (bn) in each first block, fc)."""
    bn = BN_KEYS + (('num_batches_tracked', ) if counters else ())
    keys = ['conv1.weight'] + [f'bn1.{k}' for k in bn]
    for layer, depth in enumerate(DEPTHS, 1):
        for b in range(depth):
            pre = f'layer{layer}.{b}'
            for i in (1, 2, 3):
                keys += [f'{pre}.conv{i}.weight'] + [f'{pre}.bn{i}.{k}'
                                                     for k in bn]
            if b == 0:
                keys += [f'{pre}.downsample.0.weight'] + [
                    f'{pre}.downsample.1.{k}' for k in bn]
    return keys + (['fc.weight', 'fc.bias'] if fc else [])


def test_state_dict_keys_are_torchvision_resnet50():
    own = list(ResNet50Stages().state_dict())
    # torchvision's resnet50().state_dict() has 320 entries, fc included
    assert len(torchvision_keys()) == 320
    assert own == torchvision_keys(fc=False)
    assert len(own) == 318
    for key in ('conv1.weight', 'bn1.running_var', 'layer1.0.downsample.0.'
                'weight', 'layer3.5.bn3.bias', 'layer4.2.conv3.weight'):
        assert key in own
    sd = ResNet50Stages().state_dict()
    assert sd['layer2.0.conv2.weight'].shape == (128, 128, 3, 3)
    assert sd['layer4.0.downsample.0.weight'].shape == (2048, 1024, 1, 1)
    assert sum(p.numel() for p in ResNet50Stages().parameters()) == \
        25_557_032 - 2048 * 1000 - 1000  # torchvision resnet50 minus fc


def bn(x, sd, pre):
    return F.batch_norm(x, sd[f'{pre}.running_mean'], sd[f'{pre}.running_var'],
                        sd[f'{pre}.weight'], sd[f'{pre}.bias'], False, 0.0,
                        1e-5)


def reference_forward(x, sd, strides=(2, 2, 2, 1)):
    """IRN's x1..x5 computed with functional ops from a state dict."""
    x = F.relu(bn(F.conv2d(x, sd['conv1.weight'], stride=strides[0],
                           padding=3), sd, 'bn1'))
    x = F.max_pool2d(x, 3, 2, 1)
    outs = [x]
    for layer, depth in enumerate(DEPTHS, 1):
        stride = 1 if layer == 1 else strides[layer - 1]
        for b in range(depth):
            pre = f'layer{layer}.{b}'
            s = stride if b == 0 else 1
            out = F.relu(bn(F.conv2d(x, sd[f'{pre}.conv1.weight']), sd,
                            f'{pre}.bn1'))
            out = F.relu(bn(F.conv2d(out, sd[f'{pre}.conv2.weight'], stride=s,
                                     padding=1), sd, f'{pre}.bn2'))
            out = bn(F.conv2d(out, sd[f'{pre}.conv3.weight']), sd,
                     f'{pre}.bn3')
            if b == 0:
                x = bn(F.conv2d(x, sd[f'{pre}.downsample.0.weight'],
                                stride=s), sd, f'{pre}.downsample.1')
            x = F.relu(out + x)
        outs.append(x)
    return outs


def random_torchvision_state(base=8, seed=0):
    """An old-style (no num_batches_tracked) torchvision state dict with fc
    and random BN statistics, float64."""
    g = torch.Generator().manual_seed(seed)
    shapes = {k: v.shape for k, v in ResNet50Stages(
        base_channels=base).state_dict().items()}
    state = {}
    for key in torchvision_keys(counters=False):
        if key.startswith('fc.'):
            state[key] = torch.zeros(3)
        elif key.endswith('running_var'):
            state[key] = torch.rand(shapes[key], generator=g,
                                    dtype=torch.float64) + 0.5
        else:
            state[key] = torch.randn(shapes[key], generator=g,
                                     dtype=torch.float64) * 0.3
    return state


def test_forward_matches_functional_reference_and_strides():
    state = random_torchvision_state()
    model = ResNet50Stages(base_channels=8).double()
    model.load_trunk_state(state)  # fc.* ignored, counters may be missing
    model.train()  # frozen: stays in eval, BN uses the loaded statistics
    x = torch.randn(2, 3, 45, 62, dtype=torch.float64)
    outs = model(x)
    ref = reference_forward(x, state)
    sizes = [(12, 16), (12, 16), (6, 8), (3, 4), (3, 4)]  # ceil(H/4) ...
    channels = (8, 32, 64, 128, 256)
    assert model.out_channels == channels
    for out, r, size, ch in zip(outs, ref, sizes, channels):
        assert out.shape == (2, ch) + size
        torch.testing.assert_close(out, r, rtol=1e-10, atol=1e-10)


def test_default_is_resnet50_at_irn_strides():
    model = ResNet50Stages()
    outs = model(torch.randn(1, 3, 64, 96))
    assert [tuple(o.shape[1:]) for o in outs] == [
        (64, 16, 24), (256, 16, 24), (512, 8, 12), (1024, 4, 6),
        (2048, 4, 6)]
    outs = ResNet50Stages(strides=(2, 2, 2, 2))(torch.randn(1, 3, 64, 64))
    assert outs[-1].shape[-2:] == (2, 2)


def test_frozen_no_grad_detached_eval():
    model = ResNet50Stages(base_channels=8)
    model.train()
    assert not model.training and not model.bn1.training
    assert not any(p.requires_grad for p in model.parameters())
    x = torch.randn(1, 3, 32, 32, requires_grad=True)
    outs = model(x)
    assert all(not o.requires_grad and o.grad_fn is None for o in outs)
    mean = model.bn1.running_mean.clone()
    model(torch.randn(2, 3, 32, 32) + 5)
    assert torch.equal(model.bn1.running_mean, mean)


def test_trainable_when_not_frozen():
    model = ResNet50Stages(base_channels=8, frozen=False)
    model.train()
    assert model.training and model.layer3[0].bn2.training
    outs = model(torch.randn(2, 3, 32, 32))
    outs[-1].sum().backward()
    assert model.conv1.weight.grad is not None
    assert model.bn1.running_mean.abs().sum() > 0  # statistics updated


def test_pretrained_init_cfg(tmp_path):
    state = {k: v.float() for k, v in random_torchvision_state().items()}
    path = str(tmp_path / 'r50.pth')
    torch.save(state, path)
    model = ResNet50Stages(
        base_channels=8, init_cfg=dict(type='Pretrained', checkpoint=path))
    model.init_weights()
    assert torch.equal(model.layer2[0].conv2.weight,
                       state['layer2.0.conv2.weight'])
    full = {f'backbone.{k}': v for k, v in state.items()}
    torch.save(dict(state_dict=full), path)
    model = ResNet50Stages(base_channels=8, init_cfg=dict(
        type='Pretrained', checkpoint=path, prefix='backbone.'))
    model.init_weights()
    assert torch.equal(model.bn1.running_var, state['bn1.running_var'])


def test_bad_weights_and_arguments(tmp_path):
    with pytest.raises(MissingInputError, match='resnet50-19c8e357'):
        ResNet50Stages(init_cfg=dict(
            type='Pretrained',
            checkpoint=str(tmp_path / 'none.pth'))).init_weights()
    state = random_torchvision_state()
    with pytest.raises(InvalidInputError, match='base_channels=64'):
        ResNet50Stages().load_trunk_state(state)  # an 8-wide state
    state.pop('layer1.0.conv1.weight')
    with pytest.raises(InvalidInputError, match='1 trunk tensors missing'):
        ResNet50Stages(base_channels=8).load_trunk_state(state)
    with pytest.raises(ValueError, match='strides'):
        ResNet50Stages(strides=(2, 2, 2))
