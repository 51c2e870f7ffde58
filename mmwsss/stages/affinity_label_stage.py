"""Training labels of an affinity network, cut from the CAMs."""
from mmengine.config import Config

from mmwsss.fileio import npz_loads
from mmwsss.registry import STAGES
from .base_stage import StageContext
from .output_files import damaged_files, file_records, png_loads
from .pseudo_labels import (
    evaluate_pseudo_labels,
    make_pseudo_labels,
    output_suffix,
)
from .refine_stage import RefineStage


@STAGES.register_module()
class AffinityLabelStage(RefineStage):
    """Write ``<name>/labels/<img_id><suffix>`` for every image of a split
    with a label maker (``TASK_UTILS``): ``CRFScoreMaker`` (AffinityNet:
    ``.npz`` with the low / high background-power CRF posteriors) or
    ``IRLabelMaker`` (IRN: ``.png`` with 0 background, class + 1 and 255
    unsure, scored like pseudo labels on the images with ground truth).
    The affinity-training stage reads the folder.

    Args:
        name (str): stage name.
        maker (dict): the label maker config.
        split (str): dataset split (the CAM stage's). Default: ``'train'``.
        dataset (dict, optional): dataset settings to replace.
        metric (dict, optional): ``PseudoLabelMetric`` arguments (PNG
            makers only).
        cams (str): the upstream stage with the CAMs. Default: ``'cams'``.
        nproc (int): worker processes (does not change the labels).
    """

    def __init__(self,
                 name: str,
                 maker: dict = None,
                 split: str = 'train',
                 dataset: dict = None,
                 metric: dict = None,
                 cams: str = 'cams',
                 nproc: int = 1) -> None:
        super().__init__(
            name,
            refiner=maker or dict(type='CRFScoreMaker'),
            split=split,
            dataset=dataset,
            metric=metric,
            cams=cams,
            nproc=nproc)

    @property
    def suffix(self) -> str:
        return output_suffix(self.refiner)

    def run(self, ctx: StageContext) -> dict:
        out_dir = ctx.path('labels')
        data_list = self.data_list(ctx.cfg)
        summary = make_pseudo_labels(
            data_list,
            ctx.output(self.cams, 'cams'),
            out_dir,
            self.refiner,
            nproc=self.nproc)
        metrics = {}
        if self.suffix == '.png':
            metrics = evaluate_pseudo_labels(
                out_dir, data_list,
                self.datasets(ctx.cfg)[0].metainfo['classes'], self.metric)
        return dict(
            count=summary['num_images'],
            metrics=metrics,
            outputs=dict(labels=ctx.relative(out_dir)),
            files=file_records(out_dir,
                               self.file_names(ctx.cfg, self.suffix)))

    def verify(self, ctx: StageContext, record: dict) -> list:
        loads = png_loads if self.suffix == '.png' else npz_loads
        return damaged_files(ctx.path('labels'),
                             self.file_names(ctx.cfg, self.suffix),
                             record.get('files'), loads)

    def settings(self, cfg: Config) -> dict:
        settings = super().settings(cfg)
        settings['maker'] = settings.pop('refiner')
        return settings
