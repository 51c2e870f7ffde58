"""Process groups for ``torchrun`` and Slurm runs (also on CPU-only
machines, where mmengine's launchers call ``torch.cuda.set_device`` and
fail), and the rank-0 decisions of multi-process runs."""
import datetime
import os
import pickle
import subprocess
from typing import Callable, Optional

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.dist import broadcast_object_list, get_dist_info, init_dist

from .errors import InvalidInputError

LAUNCHERS = ('none', 'pytorch', 'slurm')


def _slurm_to_torchrun_env() -> None:
    """Set ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` (the
    job's first node) and ``MASTER_PORT`` (default 29500) from Slurm's
    variables, as mmengine's Slurm launcher does."""
    try:
        os.environ['RANK'] = os.environ['SLURM_PROCID']
        os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
        os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
        nodes = os.environ['SLURM_NODELIST']
    except KeyError as e:
        raise InvalidInputError(
            f'--launcher slurm needs the srun environment ({e.args[0]} is '
            'not set); start with tools/slurm_run_pipeline.sh or srun.'
        ) from e
    if 'MASTER_ADDR' not in os.environ:
        os.environ['MASTER_ADDR'] = subprocess.getoutput(
            f'scontrol show hostnames {nodes} | head -n1')
    os.environ.setdefault('MASTER_PORT', '29500')


def init_distributed(launcher: str, dist_cfg: Optional[dict] = None) -> None:
    """Initialise the process group once (``launcher='none'``: nothing).

    With CUDA this is mmengine's ``init_dist`` (``dist_cfg``: backend,
    timeout in seconds; one GPU per ``LOCAL_RANK``). Without CUDA it is a
    gloo group over ``env://`` (torchrun's variables, or Slurm's turned
    into them).

    Args:
        launcher (str): ``'none'``, ``'pytorch'`` (torchrun) or ``'slurm'``.
        dist_cfg (dict, optional): ``env_cfg.dist_cfg`` of the config.
    """
    if launcher not in LAUNCHERS:
        raise InvalidInputError(
            f'--launcher {launcher}: use one of {", ".join(LAUNCHERS)}.')
    if launcher == 'none' or dist.is_initialized():
        return
    dist_cfg = dict(dist_cfg or {})
    if torch.cuda.is_available():
        init_dist(launcher, **dist_cfg)
        return
    if launcher == 'slurm':
        _slurm_to_torchrun_env()
    elif 'RANK' not in os.environ:
        raise InvalidInputError(
            '--launcher pytorch needs the torchrun environment (RANK, '
            'WORLD_SIZE, MASTER_ADDR); start with tools/dist_train.sh, '
            'tools/dist_run_pipeline.sh or `torchrun --nproc_per_node=N '
            'tools/<tool>.py CONFIG --launcher pytorch`, or drop --launcher.')
    timeout = dist_cfg.get('timeout')
    dist.init_process_group(
        backend='gloo',
        timeout=None if timeout is None else datetime.timedelta(
            seconds=timeout))


def use_launcher(cfg: Config, launcher: str) -> None:
    """Make ``cfg`` an mmengine run under ``launcher``: set
    ``cfg.launcher`` and, without CUDA and with a launcher, the gloo
    backend and a DDP wrapper without ``device_ids`` (mmengine's default
    wrapper names the GPU ``$LOCAL_RANK``)."""
    cfg.launcher = launcher
    if launcher == 'none' or torch.cuda.is_available():
        return
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg.backend = 'gloo'
    # turns torch's SyncBatchNorm (cfg.sync_bn='torch'), which DDP rejects
    # on CPU, into a gloo-synchronised BN; named by import path, as
    # mmengine's Runner looks wrappers up in its root registry, whose
    # direct children (mmseg, mmpretrain) do not hold 'mmwsss.X'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='mmwsss.models.wrappers.CPUDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper


def setup_cpu_distributed(cfg: Config, launcher: str) -> None:
    """Initialise a gloo process group for ``torchrun`` / Slurm runs
    without CUDA and patch ``cfg`` for it (:func:`use_launcher`); the
    Runner then sees an initialised group and skips its own set-up. With a
    GPU, or ``launcher='none'``, nothing changes (the Runner initialises
    NCCL from ``env_cfg.dist_cfg``)."""
    if launcher == 'none' or torch.cuda.is_available():
        return
    init_distributed(launcher, cfg.get('env_cfg', {}).get('dist_cfg'))
    use_launcher(cfg, launcher)


def _portable(error: BaseException) -> BaseException:
    """``error``, or a RuntimeError with its text when it does not
    pickle (to send it to the other ranks)."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:
        return RuntimeError(f'{type(error).__name__}: {error}')


def main_result(fn: Callable, *args, **kwargs):
    """``fn(*args, **kwargs)`` run on rank 0 alone and its result sent to
    every rank (one process: just the call). An error on rank 0 is raised
    on every rank, so no rank waits for a decision that never comes."""
    rank, world_size = get_dist_info()
    if world_size == 1:
        return fn(*args, **kwargs)
    payload = [None]
    error = None
    if rank == 0:
        try:
            payload = [(True, fn(*args, **kwargs))]
        except BaseException as e:
            error = e
            payload = [(False, _portable(e))]
    broadcast_object_list(payload, src=0)
    ok, value = payload[0]
    if ok:
        return value
    raise error if rank == 0 else value
