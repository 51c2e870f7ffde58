"""CAM seed quality: mIoU over a background-threshold sweep (+ contour F)."""
from typing import Any, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmwsss.ops import cam_peak
from mmwsss.registry import METRICS
from ..functional import (
    boundary_counts,
    boundary_f_from_counts,
    fg_precision_recall,
    iou_from_confusion,
    nanmean,
    per_class,
    percent,
    table,
    threshold_sweep_confusion,
)
from .sample_utils import check_same_size, evaluated, ground_truth, to_numpy

DEFAULT_BG_THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))


def _sparse(array: np.ndarray) -> tuple:
    """(flat indices, values) of the non-zero entries: per-image counts are
    mostly zero and every image's entry is kept until the end."""
    flat = array.ravel()
    index = np.flatnonzero(flat)
    return index, flat[index]


def _densify(entries: Sequence[tuple], shape: tuple) -> np.ndarray:
    out = np.zeros(int(np.prod(shape)), np.int64)
    for index, values in entries:
        out[index] += values
    return out.reshape(shape)


@METRICS.register_module()
class CAMMetric(BaseMetric):
    """Seed mIoU of CAMs over a sweep of constant background scores.

    For a background score t the seed is ``argmax([t, CAM_k1, ..., CAM_kK])``
    over the image's CAM classes (background where ``max_k CAM_k ≤ t``), as
    in the seed evaluation of the official AEFT and SEAM/hfpl code
    (github.com/KAIST-vilab/AEFT, github.com/arvijj/hfpl).
    One confusion matrix per threshold is summed over the dataset (ground
    truth 255 ignored) and mIoU = nanmean of the per-class IoU (background
    included; a class neither present nor predicted is NaN). The best
    threshold uses the ground truth, so a GT-free operating point
    ``fixed_bg_threshold`` (set in the config) is reported beside it.

    Consumes the outputs of ``CAMClassifier.predict``: ``cams`` (K, H, W) in
    [0, 1] at the original size, ``cam_labels`` (K,) 0-based classes and the
    ground truth at ``seg_map_path`` (images without one are skipped and
    counted). Class names come from ``dataset_meta['classes']``
    (foreground only, mmpretrain order).

    Reported keys (with the prefix, default ``cam/``; IoU, F, precision and
    recall in percent): ``mIoU_best``, ``best_threshold``,
    ``IoU_per_class`` (dict at the best threshold), ``fg_precision_best``,
    ``fg_recall_best`` (class-agnostic foreground), ``thresholds`` and
    ``mIoU_curve`` (lists), ``mIoU@fixed``, ``fixed_threshold`` and, with
    ``boundary_f``, ``F_best`` / ``J&F_best`` / ``F_per_class`` at the best
    threshold, ``F_curve`` and ``F@fixed`` / ``J&F@fixed``; ``num_images``.

    Args:
        bg_thresholds (Sequence[float]): the sweep. Default: 0.05, 0.10, ...,
            0.95 (the toy's CAMs need high values, VOC's best is 0.1–0.3).
        fixed_bg_threshold (float, optional): GT-free threshold.
            Default: None (not reported).
        boundary_f (bool): compute the contour F (hfpl's, DAVIS style) at every
            threshold (about T times the cost of one F evaluation).
            Default: False.
        bound_th (float): contour tolerance (fraction of the image diagonal,
            or pixels when ≥ 1). Default: 0.008.
        ignore_index (int): ignored ground-truth value. Default: 255.
        collect_device (str): 'cpu' or 'gpu'. Default: 'cpu'.
        prefix (str, optional): key prefix. Default: 'cam'.
    """
    default_prefix = 'cam'

    def __init__(self,
                 bg_thresholds: Sequence[float] = DEFAULT_BG_THRESHOLDS,
                 fixed_bg_threshold: Optional[float] = None,
                 boundary_f: bool = False,
                 bound_th: float = 0.008,
                 ignore_index: int = 255,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if len(bg_thresholds) == 0:
            raise ValueError('bg_thresholds must not be empty')
        self.bg_thresholds = sorted({float(t) for t in bg_thresholds})
        self.fixed_bg_threshold = (None if fixed_bg_threshold is None else
                                   float(fixed_bg_threshold))
        extra = [] if fixed_bg_threshold is None else [fixed_bg_threshold]
        self.thresholds = sorted(set(self.bg_thresholds) | set(extra))
        self.boundary_f = boundary_f
        self.bound_th = bound_th
        self.ignore_index = ignore_index

    @property
    def class_names(self) -> List[str]:
        """Background plus the foreground classes of ``dataset_meta``."""
        if not self.dataset_meta or 'classes' not in self.dataset_meta:
            raise ValueError(
                f'{type(self).__name__} needs dataset_meta["classes"]; the '
                'Runner sets it from the dataset, direct users must assign '
                'metric.dataset_meta = dataset.metainfo.')
        return ['background', *self.dataset_meta['classes']]

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Sweep confusion (and boundary) counts of each sample."""
        num_classes = len(self.class_names)
        for sample in data_samples:
            gt = ground_truth(sample, num_classes - 1)
            if gt is None:
                self.results.append(None)
                continue
            if sample.get('cams') is None:
                raise ValueError(
                    f'{type(self).__name__} needs samples with cams and '
                    'cam_labels (CAMClassifier.predict outputs)')
            cams = to_numpy(sample.get('cams')).astype(np.float32)
            keys = to_numpy(sample.get('cam_labels')).astype(np.int64)
            check_same_size(cams.shape[1:], gt, sample, 'CAM')
            peak, label = cam_peak(cams, keys)
            entry = dict(
                conf=_sparse(
                    threshold_sweep_confusion(peak, label, gt, self.thresholds,
                                              num_classes, self.ignore_index)))
            if self.boundary_f:
                cut = np.asarray(self.thresholds, np.float32)[:, None, None]
                preds = np.where(peak[None] > cut,
                                 label[None].astype(np.uint8), 0)
                entry['boundary'] = _sparse(
                    boundary_counts(preds, gt, num_classes, self.bound_th,
                                    self.ignore_index))
            self.results.append(entry)

    def compute_metrics(self, results: list) -> dict:
        """Best-threshold, fixed-threshold and curve metrics."""
        entries = evaluated(self, results)
        if not entries:
            return dict(num_images=0)
        names = self.class_names
        shape = (len(self.thresholds), len(names), len(names))
        conf = _densify([e['conf'] for e in entries], shape)
        iou = iou_from_confusion(conf)
        miou = nanmean(iou, axis=1)
        sweep = [self.thresholds.index(t) for t in self.bg_thresholds]
        best = sweep[int(np.argmax(np.nan_to_num(miou[sweep], nan=-1)))]
        fg_precision, fg_recall = fg_precision_recall(conf[best])
        metrics = {
            'mIoU_best': percent(miou[best]),
            'best_threshold': self.thresholds[best],
            'IoU_per_class': per_class(names, iou[best]),
            'fg_precision_best': percent(fg_precision),
            'fg_recall_best': percent(fg_recall),
            'thresholds': [self.thresholds[i] for i in sweep],
            'mIoU_curve': [percent(miou[i]) for i in sweep],
        }
        fixed = None
        if self.fixed_bg_threshold is not None:
            fixed = self.thresholds.index(self.fixed_bg_threshold)
            metrics['mIoU@fixed'] = percent(miou[fixed])
            metrics['fixed_threshold'] = self.fixed_bg_threshold
        columns = {
            'threshold': metrics['thresholds'],
            'mIoU': metrics['mIoU_curve']
        }
        if self.boundary_f:
            counts = _densify([e['boundary'] for e in entries],
                              shape[:2] + (4, ))
            fscore = boundary_f_from_counts(counts[:, 1:])[2]
            mean_f = nanmean(fscore, axis=1)
            metrics.update({
                'F_best': percent(mean_f[best]),
                'J&F_best': percent((miou[best] + mean_f[best]) / 2),
                'F_per_class': per_class(names[1:], fscore[best]),
                'F_curve': [percent(mean_f[i]) for i in sweep],
            })
            columns['F'] = metrics['F_curve']
            if fixed is not None:
                metrics['F@fixed'] = percent(mean_f[fixed])
                metrics['J&F@fixed'] = percent(
                    (miou[fixed] + mean_f[fixed]) / 2)
        metrics['num_images'] = len(entries)
        print_log(
            'CAM seed mIoU per background threshold:\n' + table(columns) +
            f'\nper class at the best threshold {metrics["best_threshold"]}:'
            '\n' + table({
                'class': names,
                'IoU': list(metrics['IoU_per_class'].values())
            }),
            logger='current')
        return metrics
