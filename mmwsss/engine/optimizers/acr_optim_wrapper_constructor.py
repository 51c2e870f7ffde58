"""One optimiser per network of ACR, with the official lr multipliers."""
import copy
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd, _ConvTransposeNd
from torch.nn.modules.instancenorm import _InstanceNorm

from mmwsss.registry import (
    OPTIM_WRAPPER_CONSTRUCTORS,
    OPTIM_WRAPPERS,
    OPTIMIZERS,
)

#: (lr multiplier, weight-decay multiplier) per layer kind and parameter, as
#: ``get_parameter_groups`` + ``PolyOptimizer`` of github.com/sangrockEG/ACR
DEFAULT_MULTS = dict(
    conv_lr_mult=1.0,
    conv_decay_mult=1.0,
    bias_lr_mult=2.0,
    bias_decay_mult=0.0,
    deconv_lr_mult=10.0,
    deconv_decay_mult=1.0,
    deconv_bias_lr_mult=20.0,
    deconv_bias_decay_mult=0.0,
    norm_lr_mult=None,
    norm_decay_mult=0.0)

#: model children stepped by each optimiser of an ACRClassifier
DEFAULT_MODULES = dict(
    classifier=('backbone', 'neck', 'head'),
    reconstructor=('reconstructor', ))

_NORMS = (_BatchNorm, _InstanceNorm, nn.LayerNorm)


def _kind(module: nn.Module) -> Optional[str]:
    if isinstance(module, _ConvTransposeNd):
        return 'deconv'
    # the official code treats GroupNorm like a convolution
    if isinstance(module, (_ConvNd, nn.GroupNorm)):
        return 'conv'
    if isinstance(module, _NORMS):
        return 'norm'
    return None


def param_multipliers(module: nn.Module, prefix: str,
                      mults: dict) -> Iterable[Tuple[str, nn.Parameter,
                                                     float, float]]:
    """``(name, param, lr_mult, decay_mult)`` of every trainable parameter
    of ``module`` (frozen ones are skipped).

    Raises:
        ValueError: for a trainable parameter of a layer type without a
            rule, or of a norm layer while ``norm_lr_mult`` is None.
    """
    for sub_name, sub in module.named_modules(prefix=prefix):
        kind = _kind(sub)
        for name, param in sub.named_parameters(recurse=False):
            if not param.requires_grad:
                continue
            full = f'{sub_name}.{name}'
            if kind is None:
                raise ValueError(
                    f'ACROptimWrapperConstructor: {full} belongs to a '
                    f'{type(sub).__name__}, which has no lr rule (only '
                    'convolutions, transposed convolutions and norm layers '
                    'do); freeze it or extend the constructor.')
            if kind == 'norm' and mults['norm_lr_mult'] is None:
                raise ValueError(
                    f'ACROptimWrapperConstructor: {full} is a trainable '
                    'norm parameter but paramwise_cfg.norm_lr_mult is None '
                    '(the official code never optimises norm layers): '
                    'freeze it (e.g. ResNet38d frozen_bn_affine=True) or '
                    'set paramwise_cfg.norm_lr_mult.')
            bias = name == 'bias'
            if kind == 'norm':
                key = 'norm_'
            elif kind == 'deconv':
                key = 'deconv_bias_' if bias else 'deconv_'
            else:
                key = 'bias_' if bias else 'conv_'
            yield (full, param, mults[key + 'lr_mult'],
                   mults[key + 'decay_mult'])


def param_groups(modules: Sequence[Tuple[str, nn.Module]],
                 optimizer_cfg: dict, mults: dict) -> List[dict]:
    """Parameter groups of ``modules``: one group per (lr, decay)
    multiplier pair, in the order first met, with absolute ``lr`` and (when
    the optimiser has one) ``weight_decay``."""
    base_lr = optimizer_cfg['lr']
    base_wd = optimizer_cfg.get('weight_decay')
    groups: Dict[Tuple[float, float], dict] = OrderedDict()
    for prefix, module in modules:
        for _, param, lr_mult, decay_mult in param_multipliers(
                module, prefix, mults):
            group = groups.get((lr_mult, decay_mult))
            if group is None:
                group = dict(params=[], lr=base_lr * lr_mult)
                if base_wd is not None:
                    group['weight_decay'] = base_wd * decay_mult
                groups[(lr_mult, decay_mult)] = group
            group['params'].append(param)
    return list(groups.values())


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class ACROptimWrapperConstructor:
    """Build ``OptimWrapperDict(classifier=..., reconstructor=...)`` for an
    :class:`ACRClassifier`.

    ACR (Kweon, Yoon, Yoon, "Weakly Supervised Semantic Segmentation via
    Adversarial Learning of Classifier and Reconstructor", CVPR 2023;
    github.com/sangrockEG/ACR) steps the classifier F (backbone + head) and
    the reconstructor G with two SGD optimisers (lr 0.01, weight decay
    5e-4) whose parameter groups follow the official multipliers:

    ======================  =====  ============
    parameter               lr     weight decay
    ======================  =====  ============
    convolution weight      ×1     ×1
    convolution bias        ×2     0
    transposed-conv weight  ×10    ×1
    transposed-conv bias    ×20    0
    norm layers             not optimised (frozen)
    ======================  =====  ============

    The official optimiser passes the weight decay into SGD's momentum
    slot, so its effective momentum is 5e-4; configs set ``momentum=5e-4``
    (0.9 is the textbook value). mmengine has no multi-optimiser
    constructor of its own, hence this one.

    Args:
        optim_wrapper_cfg (dict): one optimiser-wrapper config per name,
            e.g. ``classifier=dict(type='OptimWrapper',
            optimizer=dict(type='SGD', lr=0.01, momentum=5e-4,
            weight_decay=5e-4))`` and the same for ``reconstructor``; an
            optional ``modules`` dict maps each name to the model children
            it steps (default: classifier -> backbone, neck, head;
            reconstructor -> reconstructor). Every trainable parameter must
            belong to exactly one of them.
        paramwise_cfg (dict, optional): overrides of the multipliers
            ``conv_lr_mult``, ``conv_decay_mult``, ``bias_lr_mult``,
            ``bias_decay_mult``, ``deconv_lr_mult``, ``deconv_decay_mult``,
            ``deconv_bias_lr_mult``, ``deconv_bias_decay_mult``,
            ``norm_lr_mult`` (None: trainable norm parameters are an error)
            and ``norm_decay_mult``.
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        cfg = copy.deepcopy(dict(optim_wrapper_cfg))
        self.modules = dict(cfg.pop('modules', None) or DEFAULT_MODULES)
        if set(cfg) != set(self.modules):
            raise ValueError(
                'optim_wrapper: ACROptimWrapperConstructor needs one '
                f'optimiser wrapper per network {sorted(self.modules)}, got '
                f'{sorted(cfg)}')
        for name, wrapper in cfg.items():
            optimizer = wrapper.get('optimizer') if isinstance(
                wrapper, dict) else None
            if not isinstance(optimizer, dict) or 'lr' not in optimizer:
                raise ValueError(
                    f'optim_wrapper.{name} must be a dict with '
                    "optimizer=dict(type=..., lr=...), got {wrapper!r}")
        self.wrapper_cfgs = cfg
        unknown = set(paramwise_cfg or {}) - set(DEFAULT_MULTS)
        if unknown:
            raise ValueError(
                f'optim_wrapper.paramwise_cfg: unknown keys {sorted(unknown)}'
                f'; allowed: {sorted(DEFAULT_MULTS)}')
        self.mults = dict(DEFAULT_MULTS, **(paramwise_cfg or {}))

    def _children(self, model: nn.Module, name: str) -> List[tuple]:
        children = []
        for child in self.modules[name]:
            if not hasattr(model, child):
                raise ValueError(
                    f'optim_wrapper.modules.{name}: the model '
                    f'{type(model).__name__} has no child "{child}"')
            module = getattr(model, child)
            if module is not None:
                children.append((child, module.module if is_model_wrapper(
                    module) else module))
        return children

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        if is_model_wrapper(model):
            model = model.module
        wrappers, seen = OrderedDict(), set()
        for name, wrapper_cfg in self.wrapper_cfgs.items():
            wrapper_cfg = copy.deepcopy(wrapper_cfg)
            optimizer_cfg = wrapper_cfg.pop('optimizer')
            groups = param_groups(
                self._children(model, name), optimizer_cfg, self.mults)
            ids = {id(p) for group in groups for p in group['params']}
            if ids & seen:
                raise ValueError(
                    f'optim_wrapper.modules: {name} shares parameters with '
                    'another optimiser')
            seen |= ids
            optimizer = OPTIMIZERS.build(
                dict(optimizer_cfg, params=groups))
            wrapper_cfg.setdefault('type', 'OptimWrapper')
            wrappers[name] = OPTIM_WRAPPERS.build(
                wrapper_cfg, default_args=dict(optimizer=optimizer))
        orphans = [
            name for name, p in model.named_parameters()
            if p.requires_grad and id(p) not in seen
        ]
        if orphans:
            raise ValueError(
                f'optim_wrapper: the trainable parameters {orphans[:5]} '
                f'({len(orphans)} in all) belong to no optimiser; list their '
                'module under optim_wrapper.modules or freeze them.')
        return OptimWrapperDict(**wrappers)
