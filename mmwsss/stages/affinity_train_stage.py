"""Train the affinity network of a learned random walk (AffinityNet, IRN)
on the labels of the affinity-label stage."""
import os.path as osp

from mmwsss.registry import STAGES
from .base_stage import StageContext
from .config_train_stage import ConfigTrainStage


@STAGES.register_module()
class AffinityTrainStage(ConfigTrainStage):
    """An ordinary mmengine run of an affinity-network config
    (``configs/affinity/*.py``) in ``<work_dir>/<name>/``, on the labels
    folder of the ``labels`` stage (plugged into
    ``train_dataloader.dataset.label_dir``).

    Outputs: ``checkpoint`` (the last one) and ``config`` (the config as
    trained, which the random-walk refiner builds its network from).

    Args:
        name (str): stage name.
        config (str): the affinity-network config.
        labels (str): the :class:`AffinityLabelStage`. Default:
            ``'aff_labels'``.
        init_from (str, optional): a training stage whose backbone weights
            initialise the network (AEFT starts AffinityNet from the
            stage-1 classifier).
        cfg_options (dict, optional): overrides of the config.
    """

    LABELS_KEY = 'train_dataloader.dataset.label_dir'
    EXAMPLE = 'configs/affinity/affinitynet_r38tiny_toy.py'

    def __init__(self,
                 name: str,
                 config: str = None,
                 labels: str = 'aff_labels',
                 init_from: str = None,
                 cfg_options: dict = None) -> None:
        super().__init__(name, config, labels, init_from, cfg_options)

    def run(self, ctx: StageContext) -> dict:
        cfg = self.training_config(ctx)
        runner, checkpoint = self.train(ctx, cfg)
        if not ctx.is_main:
            return {}
        config_path = osp.join(ctx.stage_dir, 'affinity_config.py')
        cfg.dump(config_path)
        return dict(
            count=runner.iter * cfg.train_dataloader.batch_size *
            ctx.world_size,
            metrics={},
            outputs=dict(
                checkpoint=ctx.relative(checkpoint),
                config=ctx.relative(config_path)))

    def verify(self, ctx: StageContext, record: dict) -> list:
        config = ctx.resolve((record.get('outputs') or {}).get(
            'config', 'missing'))
        return super().verify(ctx, record) + (
            [] if osp.isfile(config) else [config])
