"""Stage 1: train the classifier (an ordinary mmengine run)."""
import copy

from mmengine.config import Config

from mmwsss.engine import check_data_root, check_pretrained
from mmwsss.engine.checkpoints import checkpoint_ok
from mmwsss.registry import STAGES
from .base_stage import BaseStage, StageContext
from .mmengine_run import (
    last_checkpoint,
    loader_datasets,
    stage_runner,
    training_settings,
    val_metrics,
    weight_files,
)
from .registry_check import check_config_types


@STAGES.register_module()
class TrainStage(BaseStage):
    """Train the method config's model with its own ``train_dataloader``,
    schedule and hooks in ``<work_dir>/<name>/``; resumes from the last
    checkpoint there, otherwise starts from ``load_from``.

    Outputs: ``checkpoint`` (the last one). Metrics: the last validation
    scalars (e.g. ``multi-label/mAP``). Under torchrun / Slurm every rank
    trains (DDP, ``train_dataloader.batch_size`` images per process).
    """

    distributed = True

    def settings(self, cfg: Config) -> dict:
        settings = training_settings(cfg)
        settings.get('model', {}).pop('cam_cfg', None)  # inference only
        return settings

    def weights(self, cfg: Config) -> dict:
        return weight_files(cfg)

    def check(self, cfg: Config) -> None:
        check_config_types(cfg.to_dict())
        check_data_root(cfg, 'train_dataloader')
        check_pretrained(cfg)

    def datasets(self, cfg: Config) -> list:
        if not hasattr(self, '_datasets'):
            self._datasets = loader_datasets(
                cfg, ('train_dataloader', 'val_dataloader'))
        return self._datasets

    def run(self, ctx: StageContext) -> dict:
        cfg = copy.deepcopy(ctx.cfg)
        cfg.pop('stages', None)
        runner = stage_runner(ctx, cfg)
        runner.train()
        if not ctx.is_main:  # rank 0 saved the checkpoint
            return {}
        return dict(
            count=runner.iter * cfg.train_dataloader.batch_size *
            ctx.world_size,
            metrics=val_metrics(runner),
            outputs=dict(checkpoint=ctx.relative(last_checkpoint(
                ctx.stage_dir))),
            iterations=runner.iter)

    def verify(self, ctx: StageContext, record: dict) -> list:
        path = ctx.resolve((record.get('outputs') or {}).get(
            'checkpoint', 'missing'))
        return [] if checkpoint_ok(path) else [path]
