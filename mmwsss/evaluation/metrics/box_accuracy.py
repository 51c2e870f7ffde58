"""Box classification accuracy of a box classifier (BANA stage 1)."""
from typing import Any, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from mmwsss.registry import METRICS
from ..functional import nanmean, percent


@METRICS.register_module()
class BoxAccuracy(BaseMetric):
    """Share of ground-truth boxes whose predicted class is their class.

    The supplement of BANA compares stage-1 classifiers by this number on
    VOC val (GAP 80.3 %, BAP 82.3 %; arXiv:2104.00905). Reads, per sample,
    ``pred_box_classes`` (n,) in 0..L (0 = background) and the 0-based
    ``gt_bboxes_labels`` (n,) (class c counts as c + 1).

    Reported keys (percent, prefix ``box/``): ``accuracy`` over all boxes,
    ``mean_class_accuracy`` over the classes with boxes,
    ``background_rate`` (boxes classified as background) and
    ``num_boxes``.

    Args:
        collect_device (str): Default: 'cpu'.
        prefix (str, optional): Default: 'box'.
    """
    default_prefix = 'box'

    def __init__(self,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        for sample in data_samples:
            pred = sample.get('pred_box_classes')
            gt = sample.get('gt_bboxes_labels')
            if pred is None or gt is None:
                raise KeyError(
                    'BoxAccuracy needs pred_box_classes and gt_bboxes_labels '
                    'in every sample: use a BANAClassifier and pack the boxes '
                    'and mask in the test pipeline (LoadBoxBackgroundMask, '
                    'PackBoxInputs).')
            pred = np.asarray(pred.cpu() if hasattr(pred, 'cpu') else pred)
            gt = np.asarray(gt.cpu() if hasattr(gt, 'cpu') else gt) + 1
            if pred.shape != gt.shape:
                raise ValueError(f'{pred.shape[0]} predicted boxes for '
                                 f'{gt.shape[0]} ground-truth boxes')
            self.results.append((pred.reshape(-1), gt.reshape(-1)))

    def compute_metrics(self, results: list) -> dict:
        if not results:
            return dict(num_boxes=0)
        pred = np.concatenate([p for p, _ in results])
        gt = np.concatenate([g for _, g in results])
        if gt.size == 0:
            return dict(num_boxes=0)
        per_class = [np.mean(pred[gt == c] == c) for c in np.unique(gt)]
        return dict(
            accuracy=percent(np.mean(pred == gt)),
            mean_class_accuracy=percent(nanmean(np.array(per_class))),
            background_rate=percent(np.mean(pred == 0)),
            num_boxes=int(gt.size))
