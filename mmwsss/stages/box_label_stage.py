"""BANA stage 2 as a pipeline stage: pseudo labels from boxes."""
import os
import os.path as osp

from mmengine.config import Config

from mmwsss.registry import STAGES
from .base_stage import StageContext
from .box_pseudo_labels import (
    evaluate_box_pseudo_labels,
    make_box_pseudo_labels,
)
from .output_files import damaged_files, file_records, png_loads
from .registry_check import check_type
from .split_stage import SplitStage


@STAGES.register_module()
class BoxLabelStage(SplitStage):
    """Y_crf in ``<name>/pseudo`` and Y_ret in ``<name>/pseudo_ret`` from a
    box-supervised classifier (``BoxPseudoLabelGenerator``; BANA, "Background-
    Aware Pooling and Noise-Aware Loss for Weakly-Supervised Semantic
    Segmentation", CVPR 2021, arXiv:2104.00905), scored together with the
    reliable region and the box-fill baseline.

    Args:
        name (str): stage name.
        generator (dict, optional): ``BoxPseudoLabelGenerator`` arguments.
        split (str): dataset split. Default: ``'train'``.
        dataset (dict, optional): dataset settings to replace.
        metric (dict, optional): ``PseudoLabelMetric`` arguments.
        train (str): the upstream stage with the checkpoint.
        nproc (int): worker processes (does not change the labels).
        device (str): model device. Default: ``'cpu'``.

    Under torchrun / Slurm rank r of W writes and scores the maps of the
    ids ``r::W``; the metrics gather the scores on rank 0 (``seconds/*``:
    means over every image written), which records the files.
    """

    distributed = True

    def __init__(self,
                 name: str,
                 generator: dict = None,
                 split: str = 'train',
                 dataset: dict = None,
                 metric: dict = None,
                 train: str = 'train',
                 nproc: int = 1,
                 device: str = 'cpu') -> None:
        super().__init__(name, split, dataset)
        self.generator = dict(generator or {})
        self.metric = dict(metric or {})
        self.train, self.nproc, self.device = train, nproc, device

    def needs(self) -> tuple:
        return (self.train, )

    def settings(self, cfg: Config) -> dict:
        return dict(
            split=self.split,
            dataset=self.overrides,
            generator=self.generator,
            test_dataset=cfg.test_dataloader.dataset.to_dict(),
            metric=self.metric)

    def check(self, cfg: Config) -> None:
        generator = dict(dict(type='BoxPseudoLabelGenerator'),
                         **self.generator)
        check_type('TASK_UTILS', generator,
                   f'stages.{self.name}.generator')

    def run(self, ctx: StageContext) -> dict:
        out_dir, ret_dir = ctx.path('pseudo'), ctx.path('pseudo_ret')
        summary = make_box_pseudo_labels(
            ctx.cfg,
            ctx.output(self.train, 'checkpoint'),
            out_dir,
            ret_dir,
            split=self.split,
            dataset=self.overrides,
            generator=self.generator,
            nproc=self.nproc,
            device=self.device,
            progress=ctx.is_main,
            rank=ctx.rank,
            world_size=ctx.world_size)
        metrics = evaluate_box_pseudo_labels(
            out_dir, ret_dir, self.data_list(ctx.cfg),
            self.datasets(ctx.cfg)[0].metainfo['classes'], self.metric,
            self.generator.get('float32_round_trip', True))
        # waits for every shard: (images written, mean seconds per step)
        shares = ctx.gather((summary['written'], summary['seconds']))
        if not ctx.is_main:
            return summary
        written = sum(n for n, _ in shares)
        metrics.update({
            f'seconds/{step}':
            sum(n * seconds[step] for n, seconds in shares) / written
            if written else 0.0
            for step in summary['seconds']
        })
        names = self.file_names(ctx.cfg, '.png')
        return dict(
            count=len(names),
            metrics=metrics,
            outputs=dict(
                labels=ctx.relative(out_dir),
                labels_ret=ctx.relative(ret_dir)),
            files=dict(
                pseudo=file_records(out_dir, names),
                pseudo_ret=file_records(ret_dir, names)))

    def verify(self, ctx: StageContext, record: dict) -> list:
        names = self.file_names(ctx.cfg, '.png')
        files = record.get('files') or {}
        bad = []
        for folder in ('pseudo', 'pseudo_ret'):
            bad += damaged_files(
                ctx.path(folder), names, files.get(folder), png_loads)
        for name in set(bad):  # redo both maps of a damaged id
            for folder in ('pseudo', 'pseudo_ret'):
                if osp.isfile(ctx.path(folder, name)):
                    os.remove(ctx.path(folder, name))
        return bad
