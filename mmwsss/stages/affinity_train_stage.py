"""Train the affinity network of a learned random walk (AffinityNet, IRN)
on the labels of the affinity-label stage; optionally keep the checkpoint
whose walk scores best (AEFT)."""
import os.path as osp
import shutil

from mmengine.config import Config
from mmengine.logging import print_log

from mmwsss.engine.checkpoints import checkpoint_ok
from mmwsss.fileio import require_file
from mmwsss.registry import STAGES, TASK_UTILS
from mmwsss.utils import InvalidInputError, MissingInputError
from mmwsss.utils.dist_env import main_result
from .base_stage import StageContext
from .cam_inference import build_inference_dataset
from .checkpoint_selection import (
    best_checkpoint,
    check_checkpoints_saved,
    load_scores,
    save_scores,
    selection_iters,
)
from .config_train_stage import ConfigTrainStage
from .pseudo_labels import evaluate_pseudo_labels, make_pseudo_labels
from .registry_check import check_type

#: the settings of ``select`` and their defaults (``refiner`` is required)
SELECT_DEFAULTS = dict(
    refiner=None,
    start=1600,
    interval=200,
    split='train',
    dataset=None,
    num_images=None,
    metric=None,
    cams='cams',
    nproc=1)


@STAGES.register_module()
class AffinityTrainStage(ConfigTrainStage):
    """An ordinary mmengine run of an affinity-network config
    (``configs/affinity/*.py``) in ``<work_dir>/<name>/``, on the labels
    folder of the ``labels`` stage (plugged into
    ``train_dataloader.dataset.label_dir``).

    Outputs: ``checkpoint`` (the last one, or the selected one) and
    ``config`` (the config as trained, which the random-walk refiner
    builds its network from).

    Checkpoint selection (``select``), as AEFT's ``train_aff.py``
    (Yoon et al., ECCV 2022, arXiv:2207.06935;
    https://github.com/KAIST-vilab/AEFT): after training, the checkpoints
    of iterations ``start, start + interval, ...`` (up to
    ``train_cfg.max_iters``) each walk the CAMs of the ``cams`` stage for
    the images of ``split`` (the first ``num_images``) with ``refiner``;
    the pseudo labels are scored with :class:`PseudoLabelMetric` and the
    checkpoint of the highest ``pseudo/mIoU`` is the output (ties: the
    earlier). Scores are kept in ``<name>/select/scores.json``, so an
    interrupted selection resumes; the walks are deleted once scored.
    Under several processes every rank walks its share of the images and
    rank 0 scores, as :class:`RefineStage`.

    Args:
        name (str): stage name.
        config (str): the affinity-network config.
        labels (str): the :class:`AffinityLabelStage`. Default:
            ``'aff_labels'``.
        init_from (str, optional): a training stage whose backbone weights
            initialise the network (AEFT starts AffinityNet from the
            stage-1 classifier).
        cfg_options (dict, optional): overrides of the config.
        select (dict, optional): None (default): the last checkpoint.
            Else ``refiner`` (a walk refiner config, e.g.
            ``dict(type='PSARandomWalkRefiner', alpha=19, ...)``),
            ``start`` (1600), ``interval`` (200), ``split`` ('train'),
            ``dataset`` (dataset settings to replace), ``num_images``
            (None: all), ``metric`` (``PseudoLabelMetric`` arguments),
            ``cams`` (the CAM stage, 'cams') and ``nproc`` (1; does not
            change the choice).
    """

    LABELS_KEY = 'train_dataloader.dataset.label_dir'
    EXAMPLE = 'configs/affinity/affinitynet_r38tiny_toy.py'
    #: the selection's folder inside the stage folder
    SELECT_DIR = 'select'

    def __init__(self,
                 name: str,
                 config: str = None,
                 labels: str = 'aff_labels',
                 init_from: str = None,
                 cfg_options: dict = None,
                 select: dict = None) -> None:
        super().__init__(name, config, labels, init_from, cfg_options)
        self.select = None
        if select is not None:
            unknown = sorted(set(select) - set(SELECT_DEFAULTS))
            if unknown:
                raise InvalidInputError(
                    f'stages.{name}.select has unknown settings {unknown}; '
                    f'known: {", ".join(SELECT_DEFAULTS)}.')
            self.select = dict(SELECT_DEFAULTS, **select)

    def needs(self) -> tuple:
        return super().needs() + ((self.select['cams'], )
                                  if self.select else ())

    def selection_settings(self) -> dict:
        """What changes the choice (``nproc`` does not)."""
        return {k: v for k, v in self.select.items() if k != 'nproc'}

    def settings(self, cfg: Config) -> dict:
        settings = super().settings(cfg)
        if self.select:  # absent otherwise: last-checkpoint runs keep theirs
            settings['select'] = self.selection_settings()
        return settings

    def check(self, cfg: Config) -> None:
        super().check(cfg)
        if self.select:
            self.check_selection()

    def check_selection(self) -> None:
        """The selection's refiner walks with a network, and the trained
        config saves and keeps every checkpoint it scores."""
        where = f'stages.{self.name}.select'
        refiner = self.select['refiner']
        if not isinstance(refiner, dict) or 'type' not in refiner:
            raise InvalidInputError(
                f'{where}.refiner must be a walk refiner config, e.g. '
                "dict(type='PSARandomWalkRefiner', alpha=19, beta=8, "
                'logt=6).')
        check_type('TASK_UTILS', refiner, f'{where}.refiner')
        kind = refiner['type']
        kind = TASK_UTILS.get(kind) if isinstance(kind, str) else kind
        if not getattr(kind, 'needs_network', False):
            raise InvalidInputError(
                f'{where}.refiner={refiner["type"]} does not walk with the '
                'trained network; use its walk refiner, e.g. '
                'PSARandomWalkRefiner.')
        num = self.select['num_images']
        if num is not None and (not isinstance(num, int) or num < 1):
            raise InvalidInputError(
                f'{where}.num_images must be None (all) or a positive '
                f'number, got {num!r}.')
        own = self.own_config()
        max_iters = own.train_cfg.max_iters
        iters = selection_iters(self.select['start'],
                                self.select['interval'], max_iters, where)
        check_checkpoints_saved(own.default_hooks.checkpoint, max_iters,
                                iters, f'stages.{self.name}.config')

    def datasets(self, cfg: Config) -> list:
        """The config's evaluation splits and, with ``select``, the split
        whose ground truth scores the checkpoints."""
        datasets = super().datasets(cfg)
        if not self.select:
            return datasets
        if not hasattr(self, '_select_dataset'):
            self._select_dataset = build_inference_dataset(
                cfg, self.select['split'], overrides=self.select['dataset'])
        return datasets + [self._select_dataset]

    def run(self, ctx: StageContext) -> dict:
        cfg = self.training_config(ctx)
        runner, checkpoint = self.train(ctx, cfg)
        config_path = ctx.path('affinity_config.py')
        if ctx.is_main:
            cfg.dump(config_path)
        metrics = {}
        if self.select:
            ctx.barrier()  # the config the walks build the network from
            checkpoint, metrics = self.select_checkpoint(ctx, cfg,
                                                         config_path)
        if not ctx.is_main:
            return {}
        return dict(
            count=runner.iter * cfg.train_dataloader.batch_size *
            ctx.world_size,
            metrics=metrics,
            outputs=dict(
                checkpoint=ctx.relative(checkpoint),
                config=ctx.relative(config_path)))

    def select_checkpoint(self, ctx: StageContext, cfg: Config,
                          config_path: str) -> tuple:
        """Score the checkpoints not scored yet; the best one's path and
        the ``select/*`` metrics."""
        select = self.select
        hook = cfg.default_hooks.checkpoint
        iters = selection_iters(select['start'], select['interval'],
                                cfg.train_cfg.max_iters,
                                f'stages.{self.name}.select')
        dataset = self.datasets(ctx.cfg)[-1]
        data_list = [
            dataset.get_data_info(i) for i in range(len(dataset))
        ][:select['num_images']]
        store = ctx.path(self.SELECT_DIR, 'scores.json')
        key = self.selection_settings()
        scores = main_result(load_scores, store, key)
        template = hook.get('filename_tmpl') or 'iter_{}.pth'
        for it in iters:
            if it in scores:
                continue
            path = ctx.path(template.format(it))
            main_result(
                require_file, path, 'AffinityNet checkpoint',
                'Checkpoint selection scores it: delete the stage folder '
                f'{ctx.stage_dir} to retrain with the checkpoint hook the '
                'selection needs.')
            out_dir = ctx.path(self.SELECT_DIR, f'iter_{it}')
            make_pseudo_labels(
                ctx.shard(data_list),
                ctx.output(select['cams'], 'cams'),
                out_dir,
                dict(select['refiner'], config=config_path, checkpoint=path),
                nproc=select['nproc'],
                progress=ctx.is_main)
            ctx.barrier()  # every shard walked
            scores[it] = float(
                evaluate_pseudo_labels(out_dir, data_list,
                                       dataset.metainfo['classes'],
                                       select['metric'])['pseudo/mIoU'])
            if ctx.is_main:
                save_scores(store, key, scores)
                shutil.rmtree(out_dir)
                print_log(
                    f'[{self.name}] iteration {it}: walk mIoU '
                    f'{scores[it]:.2f}', 'current')
            ctx.barrier()
        curve = [scores[it] for it in iters]
        best_iter, best_miou = best_checkpoint(iters, curve)
        best = ctx.path(template.format(best_iter))
        if not main_result(checkpoint_ok, best):
            raise MissingInputError(
                f'[{self.name}] the selected checkpoint {best} (iteration '
                f'{best_iter}, walk mIoU {best_miou:.2f}) is missing or '
                f'damaged; delete the stage folder {ctx.stage_dir} to '
                'retrain.')
        return best, {
            'select/best_iter': best_iter,
            'select/best_mIoU': best_miou,
            'select/iters': iters,
            'select/mIoU_curve': curve,
        }

    def verify(self, ctx: StageContext, record: dict) -> list:
        config = ctx.resolve((record.get('outputs') or {}).get(
            'config', 'missing'))
        return super().verify(ctx, record) + (
            [] if osp.isfile(config) else [config])
