"""Stages that train a config of their own on an upstream stage's labels
(the affinity network, the final segmentation network)."""
import copy
import os.path as osp

from mmengine.config import Config, ConfigDict

from mmwsss.engine import check_pretrained
from mmwsss.engine.checkpoints import checkpoint_ok
from mmwsss.utils import InvalidInputError, MissingInputError
from mmwsss.utils.dist_env import main_result
from .base_stage import BaseStage, StageContext
from .mmengine_run import (
    last_checkpoint,
    loader_datasets,
    stage_runner,
    training_settings,
    weight_files,
)
from .registry_check import check_config_types


class ConfigTrainStage(BaseStage):
    """Train ``config`` (an ordinary mmengine config) in the stage folder
    with the labels of the ``labels`` stage plugged in at
    :attr:`LABELS_KEY` (a dotted key of the config); resumes from the last
    checkpoint there.

    Args:
        name (str): stage name.
        config (str): the config to train (relative to the directory the
            tools run in, normally the repository root).
        labels (str): the upstream stage with the labels.
        init_from (str, optional): a training stage whose checkpoint's
            ``backbone.*`` weights initialise the config's backbone instead
            of its own ``init_cfg`` (AEFT starts AffinityNet from the
            stage-1 classifier; the toy segmentation starts from the toy
            classifier's trunk, its stand-in for ImageNet weights).
        cfg_options (dict, optional): overrides of the config.
    """

    distributed = True

    #: where the labels folder goes, e.g.
    #: ``'train_dataloader.dataset.data_prefix.seg_map_path'``
    LABELS_KEY = ''
    #: an example for the missing-config message
    EXAMPLE = ''

    def __init__(self,
                 name: str,
                 config: str = None,
                 labels: str = None,
                 init_from: str = None,
                 cfg_options: dict = None) -> None:
        super().__init__(name)
        self.config, self.labels = config, labels
        self.init_from = init_from
        self.cfg_options = dict(cfg_options or {})

    def needs(self) -> tuple:
        return (self.labels, ) + ((self.init_from, )
                                  if self.init_from else ())

    def check(self, cfg: Config) -> None:
        if not self.config:
            raise InvalidInputError(
                f'stages.{self.name} has no `config`: name the config to '
                f'train, e.g. config={self.EXAMPLE!r}.')
        if not osp.isfile(self.config):
            raise MissingInputError(
                f'stages.{self.name}.config {self.config} does not exist '
                '(paths are relative to the directory the tools run in, '
                'normally the repository root).')
        own = self.own_config()
        check_config_types(own.to_dict())
        check_pretrained(own)

    def own_config(self, labels_dir: str = None) -> Config:
        """The stage's config, with the labels folder plugged in."""
        if not hasattr(self, '_cfg'):
            cfg = Config.fromfile(self.config)
            if self.cfg_options:
                cfg.merge_from_dict(self.cfg_options)
            self._cfg = cfg
        cfg = copy.deepcopy(self._cfg)
        if labels_dir is not None:
            # absolute: a relative folder would be joined to the data root
            *parents, leaf = self.LABELS_KEY.split('.')
            node = cfg
            for key in parents:
                node = node.setdefault(key, ConfigDict())
            node[leaf] = osp.abspath(labels_dir)
        if self.init_from:  # the upstream checkpoint replaces the init
            cfg.model.backbone.init_cfg = None
        return cfg

    def training_config(self, ctx: StageContext) -> Config:
        """The config to train: the labels of the ``labels`` stage plugged
        in and, with ``init_from``, that stage's backbone weights."""
        cfg = self.own_config(ctx.output(self.labels, 'labels'))
        if self.init_from:
            cfg.model.backbone.init_cfg = dict(
                type='Pretrained',
                checkpoint=ctx.output(self.init_from, 'checkpoint'),
                prefix='backbone.')
        return cfg

    def settings(self, cfg: Config) -> dict:
        own = training_settings(self.own_config())
        # the labels are an input (fingerprinted upstream), not a setting
        *parents, leaf = self.LABELS_KEY.split('.')
        node = own
        for key in parents:
            node = node.get(key) or {}
        node.pop(leaf, None)
        return dict(config=own, init_from=self.init_from)

    def weights(self, cfg: Config) -> dict:
        return weight_files(self.own_config())

    def datasets(self, cfg: Config) -> list:
        """The evaluation splits (the training labels enter through the
        upstream stage's fingerprint)."""
        if not hasattr(self, '_datasets'):
            self._datasets = loader_datasets(
                self.own_config(), ('val_dataloader', 'test_dataloader'))
        return self._datasets

    def train(self, ctx: StageContext, cfg: Config):
        """Train ``cfg`` in the stage folder (resuming what is there; DDP
        in every rank under torchrun / Slurm) and return the runner and
        its last checkpoint (saved by rank 0, its path sent to all)."""
        runner = stage_runner(ctx, cfg)
        runner.train()
        return runner, main_result(last_checkpoint, ctx.stage_dir)

    def verify(self, ctx: StageContext, record: dict) -> list:
        path = ctx.resolve((record.get('outputs') or {}).get(
            'checkpoint', 'missing'))
        return [] if checkpoint_ok(path) else [path]
