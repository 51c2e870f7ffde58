"""Stage 5: train a segmentation network (mmseg) on the pseudo labels."""
import copy

from mmengine.config import Config

from mmwsss.engine import build_runner, use_tta
from mmwsss.registry import STAGES
from mmwsss.utils import InvalidInputError
from .base_stage import StageContext
from .config_train_stage import ConfigTrainStage


@STAGES.register_module()
class SegmentStage(ConfigTrainStage):
    """Train the segmentation config on an upstream stage's pseudo labels
    (plugged into ``train_dataloader.dataset.data_prefix.seg_map_path``),
    then test it: single scale, and with ``tta`` multi-scale + flip, and
    with ``crf_iters`` > 0 DenseCRF after the merge (the config's
    ``tta_model`` must be a ``CRFSegTTAModel``). Under torchrun / Slurm
    every rank trains and tests (DDP; mmengine gathers the test results).

    Args:
        name (str): stage name.
        config (str): the segmentation config (relative to the directory
            the tools run in, normally the repository root).
        labels (str): the upstream stage with the pseudo labels.
            Default: ``'refine'``.
        tta (bool): add the multi-scale + flip column. Default: False.
        crf_iters (int): add a DenseCRF column. Default: 0.
        init_from (str, optional): a training stage whose backbone weights
            initialise the segmentation backbone (the toy recipes).
        cfg_options (dict, optional): overrides of the segmentation config.
    """

    LABELS_KEY = 'train_dataloader.dataset.data_prefix.seg_map_path'
    EXAMPLE = 'configs/deeplab/deeplabv2_r18_toy_pseudo.py'

    def __init__(self,
                 name: str,
                 config: str = None,
                 labels: str = 'refine',
                 tta: bool = False,
                 crf_iters: int = 0,
                 init_from: str = None,
                 cfg_options: dict = None) -> None:
        super().__init__(name, config, labels, init_from, cfg_options)
        self.tta, self.crf_iters = bool(tta), int(crf_iters)

    def check(self, cfg: Config) -> None:
        super().check(cfg)
        seg_cfg = self.own_config()
        if (self.tta or self.crf_iters) and ('tta_model' not in seg_cfg
                                             or 'tta_pipeline' not in seg_cfg):
            raise InvalidInputError(
                f'stages.{self.name} asks for test-time augmentation, but '
                f'{self.config} has no tta_model / tta_pipeline; set '
                'tta=False, crf_iters=0 or add them.')

    def settings(self, cfg: Config) -> dict:
        return dict(
            super().settings(cfg), tta=self.tta, crf_iters=self.crf_iters)

    def run(self, ctx: StageContext) -> dict:
        cfg = self.training_config(ctx)
        runner, checkpoint = self.train(ctx, cfg)
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
            count=runner.iter * cfg.train_dataloader.batch_size *
            ctx.world_size,
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
