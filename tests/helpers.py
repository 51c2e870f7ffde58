"""Helpers shared by the test modules: ``from helpers import ROOT``.

``pythonpath = tests`` in pytest.ini puts this folder on ``sys.path`` at
start-up (in every xdist worker too), so test modules in any sub-folder
import it by its bare name, whether or not ``tests/`` is a package. It is
not a test module (no ``test_`` prefix), so pytest does not collect it.
"""
import importlib.util
import os.path as osp
import sys
from types import ModuleType
from typing import Optional

import torch

from mmwsss.registry import MODELS

# the repository root (the folder holding configs/, tools/, tests/)
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def repo_path(*parts: str) -> str:
    """Absolute path of ``parts`` below the repository root."""
    return osp.join(ROOT, *parts)


def load_tool(relpath: str, name: Optional[str] = None) -> ModuleType:
    """Import a script under ``tools/`` (not a package) as a module.

    Args:
        relpath (str): path below ``tools/``, e.g.
            ``'dataset_converters/voc_aug.py'``.
        name (str, optional): module name; default ``tool_`` + the path
            with ``/`` and ``.py`` turned into ``_`` and dropped.

    Returns:
        ModuleType: the executed module. It is registered in
        ``sys.modules`` so that worker processes can unpickle the functions
        it defines.
    """
    if name is None:
        name = 'tool_' + osp.splitext(relpath)[0].replace('/', '_')
    spec = importlib.util.spec_from_file_location(
        name, repo_path('tools', relpath))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def cls_preprocessor(num_classes: int = 6, **overrides) -> dict:
    """mmpretrain's ClsDataPreprocessor with ImageNet RGB mean/std and
    one-hot targets (the toy set has 6 classes)."""
    cfg = dict(
        type='mmpretrain.ClsDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True,
        to_onehot=True,
        num_classes=num_classes)
    cfg.update(overrides)
    return cfg


def tiny_resnet38d(**overrides) -> dict:
    """A 1/8-width ResNet38d (512 output channels) trained from scratch:
    BN in train mode with learnable affines."""
    cfg = dict(
        type='ResNet38d',
        width_mult=0.125,
        norm_eval=False,
        frozen_bn_affine=False)
    cfg.update(overrides)
    return cfg


def build_module(cfg: dict,
                 seed: Optional[int] = None,
                 init_weights: bool = True) -> torch.nn.Module:
    """``MODELS.build(cfg)``, after ``torch.manual_seed(seed)`` when a seed
    is given, followed by ``init_weights()`` unless told otherwise."""
    if seed is not None:
        torch.manual_seed(seed)
    model = MODELS.build(cfg)
    if init_weights:
        model.init_weights()
    return model
