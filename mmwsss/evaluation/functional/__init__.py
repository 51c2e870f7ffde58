"""Pure-numpy scores shared by every metric: confusion matrices and IoU, the
CAM background-threshold sweep, and the contour F-score."""
from .confusion import (
                        confusion_matrix,
                        fg_precision_recall,
                        iou_from_confusion,
                        nanmean,
                        precision_recall_from_confusion,
                        threshold_sweep_confusion,
)
from .contour import (
                        COUNT_FIELDS,
                        boundary_counts,
                        boundary_f_from_counts,
                        boundary_f_score,
                        boundary_tolerance,
                        matched_pixels,
                        seg_boundary,
)
from .report import per_class, percent, table

__all__ = [
    'confusion_matrix', 'iou_from_confusion',
    'precision_recall_from_confusion', 'fg_precision_recall', 'nanmean',
    'threshold_sweep_confusion', 'COUNT_FIELDS',
    'seg_boundary', 'boundary_tolerance', 'matched_pixels', 'boundary_counts',
    'boundary_f_from_counts', 'boundary_f_score', 'percent', 'per_class',
    'table'
]
