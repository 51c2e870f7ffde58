"""Quality of pseudo labels (label maps with ignored pixels) against GT."""
from typing import Any, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmwsss.registry import METRICS
from ..functional import (
    boundary_counts,
    boundary_f_from_counts,
    fg_precision_recall,
    iou_from_confusion,
    nanmean,
    per_class,
    percent,
    precision_recall_from_confusion,
    table,
)
from .sample_utils import (
    confusion_with_ignored,
    evaluated,
    label_pair,
    seg_class_names,
)


@METRICS.register_module()
class PseudoLabelMetric(BaseMetric):
    """IoU, precision, recall, coverage and contour F of pseudo labels.

    Pseudo labels hold 0 (background), 1..C-1 and 255 (ignored, unreliable).
    Counts are summed over the dataset (ground truth 255 left out):

    - ``mIoU``: per-class IoU = TP / (GT + Pred − TP) with ignored pixels
      counted as misses of their ground-truth class (comparable to dense
      labels); ``mIoU_labelled``: the same on labelled pixels only (the
      quality of what stage 5 trains on).
    - precision = TP / Pred and recall = TP / GT per class (ignored pixels
      lower the recall); ``fg_precision`` / ``fg_recall``: foreground vs
      background, class-agnostic.
    - ``ignore_ratio``: ignored pixels / all pixels.
    - with ``boundary_f``: contour ``F`` (hfpl's, DAVIS style) and
      ``J&F = (mIoU + F) / 2``.

    Samples carry the pseudo label as ``pred_sem_seg`` and the ground truth
    as ``gt_sem_seg`` or ``seg_map_path``; class names come from
    ``dataset_meta['classes']``, background first (mmseg convention).
    Values are in percent; per-class values are dicts keyed by class name.

    Args:
        boundary_f (bool): compute the contour F. Default: True.
        bound_th (float): contour tolerance. Default: 0.008.
        ignore_index (int): the ignore value of both maps. Default: 255.
        collect_device (str): 'cpu' or 'gpu'. Default: 'cpu'.
        prefix (str, optional): key prefix. Default: 'pseudo'.
    """
    default_prefix = 'pseudo'

    def __init__(self,
                 boundary_f: bool = True,
                 bound_th: float = 0.008,
                 ignore_index: int = 255,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.boundary_f = boundary_f
        self.bound_th = bound_th
        self.ignore_index = ignore_index

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Confusion, ignored-pixel and boundary counts of each sample."""
        num_classes = len(seg_class_names(self))
        for sample in data_samples:
            pair = label_pair(sample, num_classes)
            if pair is None:
                self.results.append(None)
                continue
            pred, gt = pair
            entry = dict(
                conf=confusion_with_ignored(pred, gt, num_classes,
                                            self.ignore_index),
                ignored=int(np.count_nonzero(pred == self.ignore_index)),
                pixels=pred.size)
            if self.boundary_f:
                entry['boundary'] = boundary_counts(pred, gt, num_classes,
                                                    self.bound_th,
                                                    self.ignore_index)
            self.results.append(entry)

    def compute_metrics(self, results: list) -> dict:
        """Dataset-level scores and a per-class table."""
        entries = evaluated(self, results)
        if not entries:
            return dict(num_images=0)
        names = seg_class_names(self)
        conf = np.sum([e['conf'] for e in entries], axis=0)
        iou = iou_from_confusion(conf)
        precision, recall = precision_recall_from_confusion(conf)
        fg_precision, fg_recall = fg_precision_recall(conf)
        miou = nanmean(iou)
        metrics = {
            'mIoU':
            percent(miou),
            'mIoU_labelled':
            percent(nanmean(iou_from_confusion(conf[:, :len(names)]))),
            'mPrecision':
            percent(nanmean(precision)),
            'mRecall':
            percent(nanmean(recall)),
            'fg_precision':
            percent(fg_precision),
            'fg_recall':
            percent(fg_recall),
            'ignore_ratio':
            percent(
                sum(e['ignored'] for e in entries) / sum(e['pixels']
                                                         for e in entries)),
            'IoU_per_class':
            per_class(names, iou),
            'precision_per_class':
            per_class(names, precision),
            'recall_per_class':
            per_class(names, recall),
        }
        columns = {
            'class': names,
            'IoU': list(metrics['IoU_per_class'].values()),
            'precision': list(metrics['precision_per_class'].values()),
            'recall': list(metrics['recall_per_class'].values()),
        }
        if self.boundary_f:
            counts = np.sum([e['boundary'] for e in entries], axis=0)
            fscore = boundary_f_from_counts(counts[1:])[2]
            mean_f = nanmean(fscore)
            metrics.update({
                'F': percent(mean_f),
                'J&F': percent((miou + mean_f) / 2),
                'F_per_class': per_class(names[1:], fscore),
            })
            columns['F'] = [float('nan'), *metrics['F_per_class'].values()]
        metrics['num_images'] = len(entries)
        print_log(
            'pseudo-label quality per class:\n' + table(columns),
            logger='current')
        return metrics
