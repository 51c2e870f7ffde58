"""ACROptimWrapperConstructor: two optimisers, the official lr groups."""
import pytest
import torch
import torch.nn as nn
from mmengine.optim import OptimWrapperDict, build_optim_wrapper

SGD = dict(type='SGD', lr=0.01, momentum=5e-4, weight_decay=5e-4)


class TwoNets(nn.Module):
    """F (backbone + head) and G (reconstructor) with every layer kind."""

    def __init__(self, norm_trainable=False):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4))
        self.head = nn.Conv2d(4, 2, 1, bias=False)
        self.neck = None
        self.reconstructor = nn.Sequential(
            nn.Conv2d(4, 4, 3, bias=True),
            nn.ConvTranspose2d(4, 4, 4, bias=True),
            nn.ConvTranspose2d(4, 4, 4, bias=False),
            nn.InstanceNorm2d(4),
            nn.GroupNorm(2, 4))
        self.adversary = nn.Identity()  # no parameters
        for p in self.backbone[1].parameters():
            p.requires_grad_(norm_trainable)


def build(model, **kwargs):
    cfg = dict(
        constructor='ACROptimWrapperConstructor',
        classifier=dict(type='OptimWrapper', optimizer=SGD),
        reconstructor=dict(type='OptimWrapper', optimizer=SGD))
    cfg.update(kwargs)
    return build_optim_wrapper(model, cfg)


def groups_of(optim_wrapper, name):
    """{id(param): (lr, weight_decay)} of one optimiser."""
    return {
        id(p): (g['lr'], g['weight_decay'])
        for g in optim_wrapper[name].optimizer.param_groups
        for p in g['params']
    }


def test_official_multipliers_per_layer_kind():
    model = TwoNets()
    optim = build(model)
    assert isinstance(optim, OptimWrapperDict)
    assert sorted(optim.keys()) == ['classifier', 'reconstructor']
    f = groups_of(optim, 'classifier')
    g = groups_of(optim, 'reconstructor')
    rec = model.reconstructor
    assert f == {
        id(model.backbone[0].weight): (0.01, 5e-4),
        id(model.head.weight): (0.01, 5e-4),
    }  # the frozen BN is left out
    assert g[id(rec[0].weight)] == (0.01, 5e-4)
    assert g[id(rec[0].bias)] == (0.02, 0.0)
    assert g[id(rec[1].weight)] == pytest.approx((0.1, 5e-4))
    assert g[id(rec[1].bias)] == pytest.approx((0.2, 0.0))
    assert g[id(rec[2].weight)] == pytest.approx((0.1, 5e-4))
    # GroupNorm as a convolution, as the official parameter groups
    assert g[id(rec[4].weight)] == (0.01, 5e-4)
    assert g[id(rec[4].bias)] == (0.02, 0.0)
    assert len(g) == 7
    # one optimiser group per multiplier pair, momentum as configured
    assert len(optim['reconstructor'].optimizer.param_groups) == 4
    assert all(grp['momentum'] == 5e-4
               for grp in optim['reconstructor'].optimizer.param_groups)


def test_paramwise_overrides_and_trainable_norms():
    model = TwoNets(norm_trainable=True)
    with pytest.raises(ValueError, match='norm_lr_mult'):
        build(model)
    optim = build(
        model,
        paramwise_cfg=dict(norm_lr_mult=1.0, norm_decay_mult=0.0,
                           deconv_lr_mult=1.0, bias_lr_mult=1.0))
    f = groups_of(optim, 'classifier')
    assert f[id(model.backbone[1].weight)] == (0.01, 0.0)
    g = groups_of(optim, 'reconstructor')
    assert g[id(model.reconstructor[1].weight)] == (0.01, 5e-4)
    assert g[id(model.reconstructor[0].bias)] == (0.01, 0.0)
    with pytest.raises(ValueError, match='unknown keys'):
        build(model, paramwise_cfg=dict(bias_mult=2.0))


def test_every_trainable_parameter_needs_one_optimiser():
    model = TwoNets()
    model.extra = nn.Conv2d(2, 2, 1)
    with pytest.raises(ValueError, match='extra.weight'):
        build(model)
    model = TwoNets()
    model.head = nn.Linear(4, 2)
    with pytest.raises(ValueError, match='Linear'):
        build(model)
    with pytest.raises(ValueError, match='one optimiser wrapper per'):
        build_optim_wrapper(TwoNets(), dict(
            constructor='ACROptimWrapperConstructor',
            classifier=dict(optimizer=SGD)))
    with pytest.raises(ValueError, match='optimizer=dict'):
        build(TwoNets(), reconstructor=dict(type='OptimWrapper'))
    with pytest.raises(ValueError, match='no child "nope"'):
        build(TwoNets(), modules=dict(classifier=('nope', ),
                                      reconstructor=('reconstructor', )))


def test_custom_module_map_and_optimiser_type():
    model = TwoNets()
    optim = build(
        model,
        modules=dict(classifier=('backbone', ),
                     reconstructor=('head', 'reconstructor')),
        classifier=dict(optimizer=dict(type='AdamW', lr=1e-3)),
        reconstructor=dict(optimizer=dict(type='AdamW', lr=1e-3)))
    assert isinstance(optim['classifier'].optimizer, torch.optim.AdamW)
    assert list(groups_of(optim, 'classifier')) == [
        id(model.backbone[0].weight)]
    assert len(groups_of(optim, 'reconstructor')) == 8
    with pytest.raises(ValueError, match='shares parameters'):
        build(TwoNets(), modules=dict(classifier=('backbone', 'head'),
                                      reconstructor=('head', )))
