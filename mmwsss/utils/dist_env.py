"""Distributed set-up that mmengine's launchers miss on CPU-only machines."""
import os

import torch
import torch.distributed as dist
from mmengine.config import Config


def setup_cpu_distributed(cfg: Config, launcher: str) -> None:
    """Initialise a gloo process group for ``torchrun`` runs without CUDA.

    mmengine's ``launcher='pytorch'`` calls ``torch.cuda.set_device`` and
    fails without a GPU. When no GPU is present this initialises the process
    group itself (env:// variables from torchrun), switches the backend to
    gloo and wraps the model in DDP with ``device_ids=None``; the Runner then
    sees an initialised group and skips its own set-up. With a GPU, or
    ``launcher='none'``, nothing changes.
    """
    if launcher != 'pytorch' or torch.cuda.is_available():
        return
    if 'RANK' not in os.environ:
        raise RuntimeError(
            '--launcher pytorch needs the torchrun environment (RANK, '
            'WORLD_SIZE, MASTER_ADDR); start with tools/dist_train.sh or '
            '`torchrun --nproc_per_node=N tools/train.py CONFIG '
            '--launcher pytorch`.')
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg.backend = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
