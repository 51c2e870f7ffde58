"""Stages 3-4: refine CAMs into pseudo labels and score them."""
from mmengine.config import Config

from mmwsss.fileio import npz_loads
from mmwsss.registry import STAGES, TASK_UTILS
from mmwsss.utils import InvalidInputError
from .base_stage import StageContext
from .output_files import damaged_files, file_records, png_loads
from .pseudo_labels import (
    evaluate_pseudo_labels,
    make_pseudo_labels,
    output_suffix,
)
from .registry_check import check_type
from .split_stage import SplitStage


@STAGES.register_module()
class RefineStage(SplitStage):
    """Turn the CAMs of an upstream stage into ``<name>/pseudo/<id>.png``
    with a refiner (``TASK_UTILS``: ``ThresholdRefiner``,
    ``DenseCRFRefiner``, ``PSARandomWalkRefiner``, ...) in worker
    processes, and score them with :class:`PseudoLabelMetric`.

    A refiner that walks with a learned network (its class sets
    ``needs_network = True``) gets the network of the ``affinity`` stage:
    its ``config`` and ``checkpoint`` outputs, and a ``cache_dir`` in that
    stage's folder, so that sweeps of the walk's settings reuse the
    network's affinities.

    Args:
        name (str): stage name.
        refiner (dict): refiner config. Default: ``ThresholdRefiner()``.
        split (str): dataset split (the CAM stage's). Default: ``'train'``.
        dataset (dict, optional): dataset settings to replace.
        metric (dict, optional): ``PseudoLabelMetric`` arguments.
        cams (str): the upstream stage with the CAMs. Default: ``'cams'``.
        affinity (str, optional): the upstream stage that trained the
            refiner's network (:class:`AffinityTrainStage`).
        nproc (int): worker processes (does not change the labels).

    Under torchrun / Slurm rank r of W refines and scores the ids
    ``r::W`` (with ``nproc`` workers each); the metric gathers the scores
    on rank 0, which records the files once every rank has finished.
    """

    distributed = True

    def __init__(self,
                 name: str,
                 refiner: dict = None,
                 split: str = 'train',
                 dataset: dict = None,
                 metric: dict = None,
                 cams: str = 'cams',
                 affinity: str = None,
                 nproc: int = 1) -> None:
        super().__init__(name, split, dataset)
        self.refiner = dict(refiner or dict(type='ThresholdRefiner'))
        self.metric = dict(metric or {})
        self.cams, self.affinity, self.nproc = cams, affinity, nproc

    def needs(self) -> tuple:
        return (self.cams, ) + ((self.affinity, ) if self.affinity else ())

    def refiner_config(self, ctx: StageContext) -> dict:
        """The refiner settings, with the upstream network plugged in."""
        refiner = dict(self.refiner)
        if self.affinity:
            refiner.update(
                config=ctx.output(self.affinity, 'config'),
                checkpoint=ctx.output(self.affinity, 'checkpoint'),
                cache_dir=ctx.output(self.affinity, 'checkpoint') +
                '.affinity_cache')
        return refiner

    def settings(self, cfg: Config) -> dict:
        return dict(
            split=self.split,
            dataset=self.overrides,
            refiner=self.refiner,
            metric=self.metric)

    def check(self, cfg: Config) -> None:
        check_type('TASK_UTILS', self.refiner, f'stages.{self.name}.refiner')
        kind = self.refiner['type']
        needs_network = getattr(
            TASK_UTILS.get(kind) if isinstance(kind, str) else kind,
            'needs_network', False)
        if needs_network and not (self.affinity
                                  or self.refiner.get('checkpoint')):
            raise InvalidInputError(
                f'stages.{self.name}: {self.refiner["type"]} walks with a '
                'trained network; name the stage that trains it '
                "(affinity='aff_train') or give the refiner config= and "
                'checkpoint=.')
        check_type('METRICS',
                   dict(dict(type='PseudoLabelMetric'), **self.metric),
                   f'stages.{self.name}.metric')

    #: the output folder inside the stage folder
    OUT_DIR = 'pseudo'

    @property
    def suffix(self) -> str:
        """``'.png'``, or the ``suffix`` the refiner class declares."""
        return output_suffix(self.refiner)

    def run(self, ctx: StageContext) -> dict:
        out_dir = ctx.path(self.OUT_DIR)
        data_list = self.data_list(ctx.cfg)
        summary = make_pseudo_labels(
            ctx.shard(data_list),
            ctx.output(self.cams, 'cams'),
            out_dir,
            self.refiner_config(ctx),
            nproc=self.nproc,
            progress=ctx.is_main)
        metrics = {}
        if self.suffix == '.png':  # label maps: scored against the GT
            metrics = evaluate_pseudo_labels(
                out_dir, data_list,
                self.datasets(ctx.cfg)[0].metainfo['classes'], self.metric)
        ctx.barrier()  # every shard written
        if not ctx.is_main:
            return summary
        return dict(
            count=len(data_list),
            metrics=metrics,
            outputs=dict(labels=ctx.relative(out_dir)),
            files=file_records(out_dir,
                               self.file_names(ctx.cfg, self.suffix)))

    def verify(self, ctx: StageContext, record: dict) -> list:
        loads = png_loads if self.suffix == '.png' else npz_loads
        return damaged_files(ctx.path(self.OUT_DIR),
                             self.file_names(ctx.cfg, self.suffix),
                             record.get('files'), loads)
