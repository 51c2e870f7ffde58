"""Stage 2: class activation maps of a split, scored against the GT."""
import copy

from mmengine.config import Config

from mmwsss.fileio import cam_file_ok
from mmwsss.registry import STAGES
from .base_stage import StageContext
from .cam_inference import evaluate_cams, infer_cams
from .output_files import damaged_files, file_records
from .registry_check import check_type
from .split_stage import SplitStage


@STAGES.register_module()
class CAMStage(SplitStage):
    """Write ``<name>/cams/<img_id>.npz`` for every image of a split with
    the trained classifier (its ``cam_cfg``: scales, flip) and score them
    with :class:`CAMMetric` (background-threshold sweep, fixed threshold,
    boundary F).

    Args:
        name (str): stage name.
        split (str): dataset split of the config's ``test_dataloader``
            dataset. Default: ``'train'``.
        dataset (dict, optional): dataset settings to replace, e.g.
            ``dict(split='trainaug', seg_map_dir='SegmentationClassAug')``.
        metric (dict, optional): ``CAMMetric`` arguments.
        train (str): the upstream stage with the checkpoint.
            Default: ``'train'``.
        batch_size (int): images per forward (does not change the CAMs).
        num_workers (int): data loading processes.
        device (str, optional): default CUDA when available.
    """

    def __init__(self,
                 name: str,
                 split: str = 'train',
                 dataset: dict = None,
                 metric: dict = None,
                 train: str = 'train',
                 batch_size: int = 1,
                 num_workers: int = 0,
                 device: str = None) -> None:
        super().__init__(name, split, dataset)
        self.metric = dict(metric or {})
        self.train = train
        self.batch_size, self.num_workers = batch_size, num_workers
        self.device = device

    def needs(self) -> tuple:
        return (self.train, )

    def settings(self, cfg: Config) -> dict:
        dataset = copy.deepcopy(cfg.test_dataloader.dataset.to_dict())
        return dict(
            split=self.split,
            dataset=self.overrides,
            test_dataset=dataset,
            cam_cfg=cfg.model.get('cam_cfg'),
            metric=self.metric)

    def check(self, cfg: Config) -> None:
        check_type('METRICS', dict(dict(type='CAMMetric'), **self.metric),
                   f'stages.{self.name}.metric')

    def run(self, ctx: StageContext) -> dict:
        out_dir = ctx.path('cams')
        dataset = self.datasets(ctx.cfg)[0]
        summary = infer_cams(
            ctx.cfg,
            ctx.output(self.train, 'checkpoint'),
            out_dir,
            data=dataset,
            batch_size=self.batch_size,
            num_workers=self.num_workers,
            device=self.device)
        metrics = evaluate_cams(out_dir, dataset, self.metric, progress=True)
        return dict(
            count=summary['num_images'],
            metrics=metrics,
            outputs=dict(cams=ctx.relative(out_dir)),
            files=file_records(out_dir, self.file_names(ctx.cfg, '.npz')))

    def verify(self, ctx: StageContext, record: dict) -> list:
        return damaged_files(ctx.path('cams'),
                             self.file_names(ctx.cfg, '.npz'),
                             record.get('files'), cam_file_ok)
