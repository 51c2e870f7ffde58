"""Stages 3-4: refine CAMs into pseudo labels and score them."""
from mmengine.config import Config

from mmwsss.registry import STAGES
from .base_stage import BaseStage, StageContext
from .cam_inference import build_inference_dataset, image_id
from .output_files import damaged_files, file_records, png_loads
from .pseudo_labels import evaluate_pseudo_labels, make_pseudo_labels
from .registry_check import check_type


@STAGES.register_module()
class RefineStage(BaseStage):
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
        super().__init__(name)
        self.refiner = dict(refiner or dict(type='ThresholdRefiner'))
        self.split, self.overrides = split, dict(dataset or {})
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

    def datasets(self, cfg: Config) -> list:
        if not hasattr(self, '_dataset'):
            self._dataset = build_inference_dataset(
                cfg, self.split, overrides=self.overrides)
        return [self._dataset]

    def _data_list(self, cfg: Config) -> list:
        dataset = self.datasets(cfg)[0]
        return [dataset.get_data_info(i) for i in range(len(dataset))]

    def run(self, ctx: StageContext) -> dict:
        out_dir = ctx.path('pseudo')
        data_list = self._data_list(ctx.cfg)
        summary = make_pseudo_labels(
            data_list,
            ctx.output(self.cams, 'cams'),
            out_dir,
            self.refiner,
            nproc=self.nproc)
        metrics = evaluate_pseudo_labels(
            out_dir, data_list,
            self.datasets(ctx.cfg)[0].metainfo['classes'], self.metric)
        names = [f'{image_id(info)}.png' for info in data_list]
        return dict(
            count=summary['num_images'],
            metrics=metrics,
            outputs=dict(labels=ctx.relative(out_dir)),
            files=file_records(out_dir, names))

    def verify(self, ctx: StageContext, record: dict) -> list:
        names = [f'{image_id(info)}.png' for info in self._data_list(ctx.cfg)]
        return damaged_files(
            ctx.path('pseudo'), names, record.get('files'), png_loads)
