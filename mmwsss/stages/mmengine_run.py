"""Helpers of the stages that are mmengine training runs (train, segment)."""
import copy
import os.path as osp
from typing import Dict, Iterable, List, Sequence

from mmengine.config import Config
from mmengine.runner import Runner

from mmwsss.engine import build_runner
from mmwsss.engine.checkpoints import resume_or_load
from mmwsss.engine.run_config import pretrained_inits, weight_paths
from mmwsss.fileio.weights_digest import weights_digest
from mmwsss.registry import DATASETS
from mmwsss.utils import MissingInputError
from mmwsss.utils.dist_env import main_result, use_launcher
from .base_stage import StageContext

#: config keys that cannot change a trained model: where and how it logs,
#: where it runs, how it is tested, how the pipeline continues
NOT_FINGERPRINTED = ('stages', 'work_dir', 'launcher', 'resume', 'log_level',
                     'log_processor', 'visualizer', 'vis_backends',
                     'pretrained_hint', 'experiment_name', 'test_dataloader',
                     'test_evaluator', 'test_cfg', 'tta_model',
                     'tta_pipeline', 'load_from', 'report_figures')
NOT_FINGERPRINTED_HOOKS = ('logger', 'timer', 'visualization')


def loader_datasets(cfg: Config, loaders: Sequence[str]) -> List:
    """The datasets of the config's dataloaders named in ``loaders`` (those
    it has), built from copies of their settings."""
    return [
        DATASETS.build(copy.deepcopy(cfg[key].dataset)) for key in loaders
        if cfg.get(key)
    ]


def training_settings(cfg: Config, drop: Iterable[str] = ()) -> dict:
    """The parts of an mmengine config that change the trained weights
    (and its validation numbers): logging, test and pipeline settings are
    left out; ``load_from`` and every local ``Pretrained`` checkpoint
    enter by the digest of their weights (a trunk re-made with other
    weights re-runs the stage; the same weights in another file, or saved
    again, do not)."""
    settings = {
        k: copy.deepcopy(v)
        for k, v in cfg.to_dict().items()
        if k not in NOT_FINGERPRINTED and k not in drop
    }
    hooks = settings.get('default_hooks') or {}
    for name in NOT_FINGERPRINTED_HOOKS:
        hooks.pop(name, None)
    for _, init in pretrained_inits(settings.get('model') or {}):
        if osp.isfile(init['checkpoint']):
            init['checkpoint'] = weights_digest(init['checkpoint'])
    load_from = cfg.get('load_from')
    if load_from:
        settings['load_from'] = weights_digest(load_from) if osp.isfile(
            load_from) else load_from
    return settings


def weight_files(cfg: Config) -> Dict[str, dict]:
    """The local weight files a training config loads before its first
    step: ``{config key: {'path': ..., 'weights_sha256': ...}}`` for every
    ``Pretrained`` init_cfg and ``load_from``, with
    :func:`~mmwsss.fileio.weights_digest.weights_digest` (the report lists
    them, so two runs can be told apart by the trunk they started from)."""
    return {
        where: dict(path=path, weights_sha256=weights_digest(path))
        for where, path in weight_paths(cfg) if osp.isfile(path)
    }


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


def _resume_point(cfg: Config) -> tuple:
    resume_or_load(cfg)
    return cfg.resume, cfg.get('load_from')


def stage_runner(ctx: StageContext, cfg: Config) -> Runner:
    """The mmengine Runner of ``cfg`` in the stage folder, under the
    pipeline's launcher (DDP in every rank under torchrun / Slurm). It
    resumes from the newest intact checkpoint there, chosen on rank 0
    (which also removes the temporaries of a killed write), else starts
    from ``load_from``."""
    cfg.work_dir = ctx.stage_dir
    cfg.resume, cfg.load_from = main_result(_resume_point, cfg)
    cfg.experiment_name = ctx.name
    use_launcher(cfg, ctx.cfg.get('launcher', 'none'))
    return build_runner(cfg)
