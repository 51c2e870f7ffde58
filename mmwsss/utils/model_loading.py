"""Build a model from its config and load a checkpoint into it, with the
config's default scope made current (shared by the stages and the
refiners that run a trained network)."""
import os.path as osp
from typing import Optional, Union

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from mmwsss.registry import MODELS
from .errors import InvalidInputError, MissingInputError

ConfigType = Union[str, Config]


def load_config(cfg: ConfigType) -> Config:
    """A :class:`Config` from a path or a Config, with its default scope
    (``'mmwsss'`` when unset) made current."""
    if isinstance(cfg, str):
        if not osp.isfile(cfg):
            raise MissingInputError(f'Config {cfg} does not exist.')
        cfg = Config.fromfile(cfg)
    init_default_scope(cfg.get('default_scope', 'mmwsss'))
    return cfg


def require_checkpoint(checkpoint: str) -> None:
    """Raise :class:`MissingInputError` when the checkpoint is missing."""
    if not osp.isfile(checkpoint):
        raise MissingInputError(
            f'Checkpoint {checkpoint} does not exist. Fix: pass the .pth '
            'written by stage 1 (`python tools/train.py CONFIG` → '
            'work_dirs/<config stem>/iter_*.pth) or a released checkpoint.')


def load_model(cfg: ConfigType,
               checkpoint: str,
               device: Optional[str] = None) -> torch.nn.Module:
    """Build ``cfg.model``, load ``checkpoint`` (strictly, through mmengine)
    and return it in eval mode on ``device`` (CUDA when available)."""
    cfg = load_config(cfg)
    require_checkpoint(checkpoint)
    model = MODELS.build(cfg.model)
    try:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    except (RuntimeError, KeyError, ValueError, EOFError) as e:
        raise InvalidInputError(
            f'Checkpoint {checkpoint} does not fit the model of the config '
            f'or is corrupt ({str(e)[:500]}). Pass the checkpoint trained '
            'with this config.') from e
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    return model.to(device).eval()
