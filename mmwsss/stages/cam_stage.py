"""Stage 2: class activation maps of a split, scored against the GT."""
import copy
import os.path as osp

from mmengine.config import Config

from mmwsss.fileio import cam_file_ok
from mmwsss.registry import STAGES
from mmwsss.utils import InvalidInputError
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
        stride (int): store the CAMs at ``ceil(H/stride) x ceil(W/stride)``
            (float16; readers upsample them bilinearly to the image size,
            see :func:`mmwsss.fileio.save_cams`); 4 takes about 1/16 of
            the disk of full resolution. Default: 1.
        amp (bool): float16 autocast on CUDA; on a CPU a warning and
            float32. Default: False.

    The metrics include ``cam/bytes_per_image`` (mean CAM file size).
    Under torchrun / Slurm rank r of W writes and scores the CAMs of the
    ids ``r::W``; the metric gathers the scores on rank 0, which records
    the files once every rank has finished.
    """

    distributed = True

    def __init__(self,
                 name: str,
                 split: str = 'train',
                 dataset: dict = None,
                 metric: dict = None,
                 train: str = 'train',
                 batch_size: int = 1,
                 num_workers: int = 0,
                 device: str = None,
                 stride: int = 1,
                 amp: bool = False) -> None:
        super().__init__(name, split, dataset)
        if not isinstance(stride, int) or stride < 1:
            raise InvalidInputError(
                f'stages.{name}.stride must be an integer >= 1 (1: full '
                f'resolution, 4: IRN\'s stride), got {stride!r}.')
        self.stride, self.amp = stride, amp
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
            metric=self.metric,
            # only when set, so that work dirs of earlier runs stay valid
            **({'stride': self.stride} if self.stride != 1 else {}),
            **({'amp': True} if self.amp else {}))

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
            rank=ctx.rank,
            world_size=ctx.world_size,
            batch_size=self.batch_size,
            num_workers=self.num_workers,
            device=self.device,
            stride=self.stride,
            amp=self.amp)
        metrics = evaluate_cams(
            out_dir, dataset, self.metric, progress=ctx.is_main)
        ctx.barrier()  # every shard written
        if not ctx.is_main:
            return summary
        names = self.file_names(ctx.cfg, '.npz')
        metrics['cam/bytes_per_image'] = sum(
            osp.getsize(osp.join(out_dir, n))
            for n in names) / max(len(names), 1)
        return dict(
            count=len(dataset),
            metrics=metrics,
            outputs=dict(cams=ctx.relative(out_dir)),
            files=file_records(out_dir, names))

    def verify(self, ctx: StageContext, record: dict) -> list:
        return damaged_files(ctx.path('cams'),
                             self.file_names(ctx.cfg, '.npz'),
                             record.get('files'), cam_file_ok)
