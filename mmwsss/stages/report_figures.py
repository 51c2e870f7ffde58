"""The pictures of the pipeline report: PNGs in
``<work_dir>/report_figures/``, linked from ``report.md``.

- ``<stage>_bg_threshold.png`` for every stage whose metrics hold a
  background-threshold sweep (``CAMMetric``: ``thresholds``,
  ``mIoU_curve``, best and fixed τ);
- ``class_iou.png``: grouped bars of every per-class IoU in the report
  (``IoU_per_class`` of the CAM, pseudo-label and segmentation metrics);
- ``panels.png``: image | CAM (max over classes) | pseudo label |
  prediction | ground truth for the first ``num_images`` images of the
  first per-image stage's split (the CAM split, usually ``train``), with a
  class legend. The prediction is the segmentation stage's network run on
  these images.

Set ``report_figures = dict(num_images=4)`` in a method config to change
the number of panel rows (0: no panels), ``report_figures = False`` to
draw nothing. A figure that cannot be drawn is a warning, never a failed
pipeline.
"""
import logging
import os
import os.path as osp
from functools import partial
from typing import Dict, List, Optional

import numpy as np
from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.logging import print_log

from mmwsss.fileio import load_cams, read_label_png, read_rgb
from mmwsss.visualization import (
    plot_class_iou_bars,
    plot_panel_grid,
    plot_threshold_curve,
    with_background,
)
from .base_stage import BaseStage
from .cam_inference import image_id
from .segment_stage import SegmentStage
from .split_stage import SplitStage

FOLDER = 'report_figures'
#: metric prefixes left out of a series name (``single/boundary/...`` ->
#: ``segment single``)
METRIC_PREFIXES = ('cam', 'pseudo', 'boundary')


def _curve(metrics: dict, prefix: str, stage: str, path: str) -> None:
    def mark(tau: str, value: str) -> Optional[tuple]:
        if metrics.get(prefix + tau) is None:
            return None
        return metrics[prefix + tau], metrics.get(prefix + value)

    plot_threshold_curve(
        path,
        metrics[prefix + 'thresholds'],
        metrics[prefix + 'mIoU_curve'],
        best=mark('best_threshold', 'mIoU_best'),
        fixed=mark('fixed_threshold', 'mIoU@fixed'),
        fscore=metrics.get(prefix + 'F_curve'),
        title=f'CAM background threshold ({stage})')


def iou_series(report: dict) -> Dict[str, dict]:
    """``{series name: {class: IoU}}`` of every ``IoU_per_class`` metric,
    in stage order: ``cams (τ=0.55)``, ``refine``, ``segment single``..."""
    series = {}
    for stage, record in report['stages'].items():
        metrics = record.get('metrics') or {}
        for key, value in metrics.items():
            parts = key.split('/')
            if parts[-1] != 'IoU_per_class' or not isinstance(value, dict):
                continue
            rest = [p for p in parts[:-1] if p not in METRIC_PREFIXES]
            name = ' '.join([stage] + rest)
            best = metrics.get(key[:-len('IoU_per_class')] + 'best_threshold')
            series[name if best is None else f'{name} (τ={best:g})'] = value
    return series


def _stage_dir(work_dir: str, record: dict, key: str) -> Optional[str]:
    path = (record.get('outputs') or {}).get(key)
    if path is None:
        return None
    return path if osp.isabs(path) else osp.join(work_dir, path)


def _predictions(stage: SegmentStage, labels_dir: str, checkpoint: str,
                 paths: List[str]) -> List[np.ndarray]:
    """The segmentation network's label maps of ``paths`` (mmseg API)."""
    import torch
    from mmseg.apis import inference_model, init_model
    cfg = stage.own_config(labels_dir)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model = init_model(cfg, checkpoint, device=device)
    return [
        inference_model(model, path).pred_sem_seg.data[0].cpu().numpy()
        for path in paths
    ]


def dataset_classes(cfg: Config, stages: Dict[str, BaseStage],
                    report: dict) -> List[str]:
    """Class names, background first, of the first per-image stage's
    dataset (the order of the bars); empty without such a stage."""
    for name in report['stages']:
        if isinstance(stages.get(name), SplitStage):
            dataset = stages[name].datasets(cfg)[0]
            return with_background(dataset.metainfo['classes'])
    return []


def panel_rows(cfg: Config, work_dir: str, stages: Dict[str, BaseStage],
               report: dict, num_images: int) -> tuple:
    """``(rows, classes, split)`` of :func:`plot_panel_grid` for the first
    ``num_images`` images of the first per-image stage's split."""
    records = report['stages']
    split_stages = [
        n for n in records if isinstance(stages.get(n), SplitStage)
    ]
    if not split_stages:
        raise ValueError('no per-image stage (CAMs, pseudo labels) ran')
    source = stages[split_stages[0]]
    dataset = source.datasets(cfg)[0]
    classes = list(dataset.metainfo['classes'])
    num_fg = len(with_background(classes)) - 1
    infos = [
        dataset.get_data_info(i)
        for i in range(min(num_images, len(dataset)))
    ]
    cam_dirs = [_stage_dir(work_dir, r, 'cams') for r in records.values()]
    cam_dir = next((d for d in cam_dirs if d), None)
    segment = next((n for n in records
                    if isinstance(stages.get(n), SegmentStage)
                    and _stage_dir(work_dir, records[n], 'checkpoint')),
                   None)
    label_stage = stages[segment].labels if segment else next(
        (n for n in reversed(list(records))
         if _stage_dir(work_dir, records[n], 'labels')), None)
    label_dir = (_stage_dir(work_dir, records[label_stage], 'labels')
                 if label_stage in records else None)
    preds = [None] * len(infos)
    if segment:
        preds = _predictions(
            stages[segment], label_dir,
            _stage_dir(work_dir, records[segment], 'checkpoint'),
            [info['img_path'] for info in infos])
    rows = []
    for info, pred in zip(infos, preds):
        img_id = image_id(info)
        image = read_rgb(info['img_path'])
        row = dict(id=img_id, image=image, pred=pred)
        cam_path = osp.join(cam_dir or '', f'{img_id}.npz')
        if cam_dir and osp.isfile(cam_path):
            _, cams = load_cams(cam_path, image.shape[:2], info['img_path'])
            row['cam'] = (cams.max(axis=0) if len(cams) else np.zeros(
                image.shape[:2], np.float32))
        label_path = osp.join(label_dir or '', f'{img_id}.png')
        if label_dir and osp.isfile(label_path):
            row['pseudo'] = read_label_png(label_path, num_fg)
        if info.get('seg_map_path') and osp.isfile(info['seg_map_path']):
            row['gt'] = read_label_png(info['seg_map_path'], num_fg)
        rows.append(row)
    return rows, classes, source.split


def _bars(cfg, stages, report, path) -> None:
    plot_class_iou_bars(
        path, iou_series(report),
        classes=dataset_classes(cfg, stages, report))


def _panels(cfg, work_dir, stages, report, num_images, path) -> None:
    rows, classes, split = panel_rows(cfg, work_dir, stages, report,
                                      num_images)
    plot_panel_grid(path, rows, classes,
                    title=f'first {len(rows)} images of the {split} split')


def write_report_figures(cfg: Config, work_dir: str,
                         stages: Dict[str, BaseStage],
                         report: dict) -> List[dict]:
    """Draw the report's figures (on rank 0 only) into
    ``<work_dir>/report_figures/``; the runner lists them in ``report.json``
    (``figures``: title and path of each) and links them from
    ``report.md``. Figures of earlier runs that were not drawn again are
    removed.

    Args:
        cfg (Config): the method config (``report_figures`` settings).
        work_dir (str): the run's work dir.
        stages (dict): the built stages, by name.
        report (dict): the runner's report (stage records with metrics
            and outputs).

    Returns:
        list[dict]: ``title`` and ``path`` (relative to ``work_dir``) of
        every figure drawn.
    """
    options = cfg.get('report_figures', {})
    if options is False or not is_main_process():
        return []
    num_images = dict(options or {}).get('num_images', 4)
    jobs = []
    for name, record in report['stages'].items():
        metrics = record.get('metrics') or {}
        for key in metrics:
            prefix = key[:-len('thresholds')]
            if (key.endswith('thresholds') and prefix + 'mIoU_curve'
                    in metrics):
                jobs.append((f'CAM background threshold: {name}',
                             f'{name}_bg_threshold.png',
                             partial(_curve, metrics, prefix, name)))
    if iou_series(report):
        jobs.append(('IoU per class', 'class_iou.png',
                     partial(_bars, cfg, stages, report)))
    if num_images:
        jobs.append(('Result panels', 'panels.png',
                     partial(_panels, cfg, work_dir, stages, report,
                             num_images)))
    figures = []
    for title, file_name, draw in jobs:
        try:
            draw(path=osp.join(work_dir, FOLDER, file_name))
        except Exception as error:  # a figure never fails the pipeline
            print_log(
                f'report figure {file_name} not drawn: '
                f'{type(error).__name__}: {error}', 'current',
                logging.WARNING)
            continue
        figures.append(dict(title=title, path=f'{FOLDER}/{file_name}'))
    drawn = {osp.basename(f['path']) for f in figures}
    folder = osp.join(work_dir, FOLDER)
    for old in os.listdir(folder) if osp.isdir(folder) else ():
        if old.endswith('.png') and old not in drawn:
            os.remove(osp.join(folder, old))
    return figures
