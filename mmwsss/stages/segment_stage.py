"""Stage 5: train a segmentation network (mmseg) on the pseudo labels."""
import copy
import os.path as osp

from mmengine.config import Config

from mmwsss.engine import build_runner, check_pretrained, use_tta
from mmwsss.engine.checkpoints import checkpoint_ok, resume_or_load
from mmwsss.registry import STAGES
from mmwsss.utils import InvalidInputError, MissingInputError
from .base_stage import BaseStage, StageContext
from .mmengine_run import (
    last_checkpoint,
    loader_datasets,
    training_settings,
)
from .registry_check import check_config_types


@STAGES.register_module()
class SegmentStage(BaseStage):
    """Train the segmentation config on an upstream stage's pseudo labels
    (plugged into ``train_dataloader.dataset.data_prefix.seg_map_path``),
    then test it: single scale, and with ``tta`` multi-scale + flip, and
    with ``crf_iters`` > 0 DenseCRF after the merge (the config's
    ``tta_model`` must be a ``CRFSegTTAModel``).

    Args:
        name (str): stage name.
        config (str): the segmentation config (relative to the directory
            the tools run in, normally the repository root).
        labels (str): the upstream stage with the pseudo labels.
            Default: ``'refine'``.
        tta (bool): add the multi-scale + flip column. Default: False.
        crf_iters (int): add a DenseCRF column. Default: 0.
        cfg_options (dict, optional): overrides of the segmentation config.
    """

    def __init__(self,
                 name: str,
                 config: str = None,
                 labels: str = 'refine',
                 tta: bool = False,
                 crf_iters: int = 0,
                 cfg_options: dict = None) -> None:
        super().__init__(name)
        self.config, self.labels = config, labels
        self.tta, self.crf_iters = bool(tta), int(crf_iters)
        self.cfg_options = dict(cfg_options or {})

    def needs(self) -> tuple:
        return (self.labels, )

    def check(self, cfg: Config) -> None:
        if not self.config:
            raise InvalidInputError(
                f'stages.{self.name} has no `config`: name the segmentation '
                "config, e.g. config='configs/deeplab/"
                "deeplabv2_r18_toy_pseudo.py'.")
        if not osp.isfile(self.config):
            raise MissingInputError(
                f'stages.{self.name}.config {self.config} does not exist '
                '(paths are relative to the directory the tools run in, '
                'normally the repository root).')
        seg_cfg = self.seg_config()
        check_config_types(seg_cfg.to_dict())
        check_pretrained(seg_cfg)
        if (self.tta or self.crf_iters) and ('tta_model' not in seg_cfg
                                             or 'tta_pipeline' not in seg_cfg):
            raise InvalidInputError(
                f'stages.{self.name} asks for test-time augmentation, but '
                f'{self.config} has no tta_model / tta_pipeline; set '
                'tta=False, crf_iters=0 or add them.')

    def seg_config(self, labels_dir: str = None) -> Config:
        """The segmentation config, with the pseudo labels plugged in."""
        if not hasattr(self, '_cfg'):
            cfg = Config.fromfile(self.config)
            if self.cfg_options:
                cfg.merge_from_dict(self.cfg_options)
            self._cfg = cfg
        cfg = copy.deepcopy(self._cfg)
        if labels_dir is not None:
            # absolute: a relative folder would be joined to the data root
            cfg.train_dataloader.dataset.data_prefix.seg_map_path = \
                osp.abspath(labels_dir)
        return cfg

    def settings(self, cfg: Config) -> dict:
        seg = training_settings(self.seg_config())
        seg['train_dataloader']['dataset'].get('data_prefix', {}).pop(
            'seg_map_path', None)  # the labels are the input, not a setting
        return dict(config=seg, tta=self.tta, crf_iters=self.crf_iters)

    def datasets(self, cfg: Config) -> list:
        """The evaluation split (the pseudo labels enter through the
        upstream stage's fingerprint)."""
        if not hasattr(self, '_datasets'):
            self._datasets = loader_datasets(
                self.seg_config(), ('val_dataloader', 'test_dataloader'))
        return self._datasets

    def run(self, ctx: StageContext) -> dict:
        cfg = self.seg_config(ctx.output(self.labels, 'labels'))
        cfg.work_dir = ctx.stage_dir
        resume_or_load(cfg)
        cfg.experiment_name = ctx.name
        runner = build_runner(cfg)
        runner.train()
        checkpoint = last_checkpoint(ctx.stage_dir)
        metrics = {
            f'single/{k}': v
            for k, v in self._test(cfg, checkpoint, ctx.name).items()
        }
        if self.tta:
            metrics.update({
                f'ms_flip/{k}': v
                for k, v in self._test(cfg, checkpoint, ctx.name,
                                       tta=True).items()
            })
        if self.crf_iters:
            metrics.update({
                f'ms_flip_crf/{k}': v
                for k, v in self._test(
                    cfg, checkpoint, ctx.name, tta=True,
                    crf_iters=self.crf_iters).items()
            })
        return dict(
            count=runner.iter * cfg.train_dataloader.batch_size,
            metrics=metrics,
            outputs=dict(checkpoint=ctx.relative(checkpoint)))

    @staticmethod
    def _test(cfg: Config, checkpoint: str, stage: str, tta: bool = False,
              crf_iters: int = 0) -> dict:
        """Test the trained model, optionally with multi-scale + flip TTA
        and DenseCRF on the merged probabilities."""
        cfg = copy.deepcopy(cfg)
        cfg.load_from = checkpoint
        cfg.resume = False
        if tta:
            use_tta(cfg, crf_iters)
        cfg.experiment_name = stage
        return dict(build_runner(cfg).test())

    def verify(self, ctx: StageContext, record: dict) -> list:
        path = ctx.resolve((record.get('outputs') or {}).get(
            'checkpoint', 'missing'))
        return [] if checkpoint_ok(path) else [path]
