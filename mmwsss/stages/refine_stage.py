"""Stages 3-4: refine CAMs into pseudo labels and score them."""
from mmengine.config import Config

from mmwsss.registry import STAGES
from .base_stage import StageContext
from .output_files import damaged_files, file_records, png_loads
from .pseudo_labels import evaluate_pseudo_labels, make_pseudo_labels
from .registry_check import check_type
from .split_stage import SplitStage


@STAGES.register_module()
class RefineStage(SplitStage):
    """Turn the CAMs of an upstream stage into ``<name>/pseudo/<id>.png``
    with a refiner (``TASK_UTILS``: ``ThresholdRefiner``,
    ``DenseCRFRefiner``, ...) in worker processes, and score them with
    :class:`PseudoLabelMetric`.

    Args:
        name (str): stage name.
        refiner (dict): refiner config. Default: ``ThresholdRefiner()``.
        split (str): dataset split (the CAM stage's). Default: ``'train'``.
        dataset (dict, optional): dataset settings to replace.
        metric (dict, optional): ``PseudoLabelMetric`` arguments.
        cams (str): the upstream stage with the CAMs. Default: ``'cams'``.
        nproc (int): worker processes (does not change the labels).
    """

    def __init__(self,
                 name: str,
                 refiner: dict = None,
                 split: str = 'train',
                 dataset: dict = None,
                 metric: dict = None,
                 cams: str = 'cams',
                 nproc: int = 1) -> None:
        super().__init__(name, split, dataset)
        self.refiner = dict(refiner or dict(type='ThresholdRefiner'))
        self.metric = dict(metric or {})
        self.cams, self.nproc = cams, nproc

    def needs(self) -> tuple:
        return (self.cams, )

    def settings(self, cfg: Config) -> dict:
        return dict(
            split=self.split,
            dataset=self.overrides,
            refiner=self.refiner,
            metric=self.metric)

    def check(self, cfg: Config) -> None:
        check_type('TASK_UTILS', self.refiner, f'stages.{self.name}.refiner')
        check_type('METRICS',
                   dict(dict(type='PseudoLabelMetric'), **self.metric),
                   f'stages.{self.name}.metric')

    def run(self, ctx: StageContext) -> dict:
        out_dir = ctx.path('pseudo')
        data_list = self.data_list(ctx.cfg)
        summary = make_pseudo_labels(
            data_list,
            ctx.output(self.cams, 'cams'),
            out_dir,
            self.refiner,
            nproc=self.nproc)
        metrics = evaluate_pseudo_labels(
            out_dir, data_list,
            self.datasets(ctx.cfg)[0].metainfo['classes'], self.metric)
        names = self.file_names(ctx.cfg, '.png')
        return dict(
            count=summary['num_images'],
            metrics=metrics,
            outputs=dict(labels=ctx.relative(out_dir)),
            files=file_records(out_dir, names))

    def verify(self, ctx: StageContext, record: dict) -> list:
        names = self.file_names(ctx.cfg, '.png')
        return damaged_files(
            ctx.path('pseudo'), names, record.get('files'), png_loads)
