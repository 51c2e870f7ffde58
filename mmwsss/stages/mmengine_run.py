"""Helpers of the stages that are mmengine training runs (train, segment)."""
import copy
import glob
import logging
import os.path as osp
import re
import time
import zipfile
from typing import Iterable, List

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmengine.runner.checkpoint import find_latest_checkpoint

from mmwsss.utils import MissingInputError
from .stage_manifest import file_hash

#: config keys that cannot change a trained model: where and how it logs,
#: where it runs, how it is tested, how the pipeline continues
NOT_FINGERPRINTED = ('stages', 'work_dir', 'launcher', 'resume', 'log_level',
                     'log_processor', 'visualizer', 'vis_backends',
                     'pretrained_hint', 'experiment_name', 'test_dataloader',
                     'test_evaluator', 'test_cfg', 'tta_model',
                     'tta_pipeline', 'load_from')
NOT_FINGERPRINTED_HOOKS = ('logger', 'timer', 'visualization')


def training_settings(cfg: Config, drop: Iterable[str] = ()) -> dict:
    """The parts of an mmengine config that change the trained weights
    (and its validation numbers): logging, test and pipeline settings are
    left out; ``load_from`` enters by content hash."""
    settings = {
        k: copy.deepcopy(v)
        for k, v in cfg.to_dict().items()
        if k not in NOT_FINGERPRINTED and k not in drop
    }
    hooks = settings.get('default_hooks') or {}
    for name in NOT_FINGERPRINTED_HOOKS:
        hooks.pop(name, None)
    load_from = cfg.get('load_from')
    if load_from:
        settings['load_from'] = file_hash(load_from) if osp.isfile(
            load_from) else load_from
    return settings


def isolate_logs(cfg: Config, stage: str) -> Config:
    """Give the run its own visualizer (mmengine keeps visualizers by name
    in a process-wide table: two runs with the configs' shared name
    ``'visualizer'`` would write into the first run's ``scalars.json``)."""
    tag = f'{stage}_{time.strftime("%Y%m%d_%H%M%S")}_{time.time_ns() % 10**9}'
    if cfg.get('visualizer') is not None:
        cfg.visualizer['name'] = tag
    cfg.experiment_name = stage
    return cfg


def checkpoint_ok(path: str) -> bool:
    """Whether ``path`` is a whole torch zip checkpoint (CRCs verified)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except (OSError, zipfile.BadZipFile, EOFError):
        return False


def intact_checkpoints(work_dir: str) -> List[str]:
    """``iter_*.pth`` / ``epoch_*.pth`` in ``work_dir``, newest first, that
    are whole (a kill while one was written leaves a broken file)."""
    found = []
    for path in glob.glob(osp.join(work_dir, '*_*.pth')):
        match = re.fullmatch(r'(iter|epoch)_(\d+)\.pth', osp.basename(path))
        if match:
            found.append((int(match[2]), path))
    return [path for _, path in sorted(found, reverse=True)
            if checkpoint_ok(path)]


def resume_or_load(cfg: Config) -> None:
    """Continue from the newest intact checkpoint in ``cfg.work_dir`` when
    there is one (a broken newer one is skipped with a warning); otherwise
    start fresh, initialised from ``load_from`` if set (mmengine would
    *resume* from ``load_from`` when ``resume=True``)."""
    intact = intact_checkpoints(cfg.work_dir) if osp.isdir(
        cfg.work_dir) else []
    newest = find_latest_checkpoint(cfg.work_dir) if osp.isdir(
        cfg.work_dir) else None
    if newest and intact and osp.basename(newest) != osp.basename(intact[0]):
        print_log(
            f'{newest} is incomplete or unreadable; resuming from '
            f'{intact[0]} instead.', 'current', logging.WARNING)
    if intact:
        cfg.resume, cfg.load_from = True, intact[0]
    else:
        cfg.resume = False


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint an mmengine run recorded last in ``work_dir``."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        raise MissingInputError(
            f'{work_dir} has no last_checkpoint: the training run saved no '
            'checkpoint. Check default_hooks.checkpoint in the config.')
    with open(pointer) as f:
        path = f.read().strip()
    # the pointer may be absolute; the file sits in the run's own folder
    return osp.join(work_dir, osp.basename(path))


def val_metrics(runner: Runner) -> dict:
    """The last validation scalars an mmengine run logged."""
    return {
        key[len('val/'):]: float(value.current())
        for key, value in runner.message_hub.log_scalars.items()
        if key.startswith('val/') and 'time' not in key
    }
