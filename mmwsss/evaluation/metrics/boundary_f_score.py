"""Contour F-score and J&F of segmentation label maps."""
from typing import Any, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmwsss.registry import METRICS
from ..functional import (
    boundary_counts,
    boundary_f_from_counts,
    iou_from_confusion,
    nanmean,
    per_class,
    percent,
    table,
)
from .sample_utils import (
    confusion_with_ignored,
    evaluated,
    label_pair,
    seg_class_names,
)


@METRICS.register_module()
class BoundaryFScore(BaseMetric):
    """J (mIoU), contour F and J&F = (J + F) / 2 of label maps.

    F follows hfpl's ``contour_fscore.py`` (github.com/arvijj/hfpl): per
    foreground class, boundary pixels of prediction and ground truth
    (void → background) are matched within
    r = ⌈``bound_th`` · image diagonal⌉ px; the counts are summed over the
    dataset, P = matched predicted / predicted, R = matched GT / GT,
    F_c = 2PR / (P + R), F = mean over the foreground classes. J is the mIoU
    of the same predictions (dataset-level confusion, GT 255 ignored,
    predicted 255 counted as a miss), so J&F comes from one metric.

    Works as an mmseg evaluator beside ``IoUMetric`` (samples with
    ``pred_sem_seg`` and ``gt_sem_seg``), and on pseudo labels (ground truth
    read from ``seg_map_path`` when there is no ``gt_sem_seg``). Class names
    come from ``dataset_meta['classes']``, background first (mmseg).

    Reported keys (with the prefix, default ``boundary/``; percent): ``J``,
    ``F``, ``J&F``, ``precision``, ``recall`` (boundary, means over
    foreground classes), ``F_per_class``, ``IoU_per_class`` (the per-class
    IoU behind J, background included; mmseg's ``IoUMetric`` only prints
    it) and ``num_images``.

    Args:
        bound_th (float): tolerance as a fraction of the diagonal, or pixels
            when ≥ 1. Default: 0.008 (DAVIS).
        ignore_index (int): void value. Default: 255.
        collect_device (str): 'cpu' or 'gpu'. Default: 'cpu'.
        prefix (str, optional): key prefix. Default: 'boundary'.
    """
    default_prefix = 'boundary'

    def __init__(self,
                 bound_th: float = 0.008,
                 ignore_index: int = 255,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.bound_th = bound_th
        self.ignore_index = ignore_index

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Confusion and boundary counts of each sample."""
        num_classes = len(seg_class_names(self))
        for sample in data_samples:
            pair = label_pair(sample, num_classes)
            if pair is None:
                self.results.append(None)
                continue
            pred, gt = pair
            self.results.append(
                (confusion_with_ignored(pred, gt, num_classes,
                                        self.ignore_index),
                 boundary_counts(pred, gt, num_classes, self.bound_th,
                                 self.ignore_index)))

    def compute_metrics(self, results: list) -> dict:
        """J, F and J&F over the dataset."""
        entries = evaluated(self, results)
        if not entries:
            return dict(num_images=0)
        names = seg_class_names(self)
        conf = np.sum([e[0] for e in entries], axis=0)
        counts = np.sum([e[1] for e in entries], axis=0)
        iou = iou_from_confusion(conf)
        miou = nanmean(iou)
        precision, recall, fscore = boundary_f_from_counts(counts[1:])
        mean_f = nanmean(fscore)
        metrics = {
            'J': percent(miou),
            'F': percent(mean_f),
            'J&F': percent((miou + mean_f) / 2),
            'precision': percent(nanmean(precision)),
            'recall': percent(nanmean(recall)),
            'F_per_class': per_class(names[1:], fscore),
            'IoU_per_class': per_class(names, iou),
            'num_images': len(entries),
        }
        print_log(
            'contour F per class:\n' +
            table({
                'class': names[1:],
                'F': list(metrics['F_per_class'].values())
            }),
            logger='current')
        return metrics
