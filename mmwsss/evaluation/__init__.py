from .functional import (
                         boundary_counts,
                         boundary_f_from_counts,
                         boundary_f_score,
                         confusion_matrix,
                         iou_from_confusion,
                         threshold_sweep_confusion,
)
from .metrics import BoundaryFScore, BoxAccuracy, CAMMetric, PseudoLabelMetric

__all__ = [
    'CAMMetric', 'BoxAccuracy', 'PseudoLabelMetric', 'BoundaryFScore',
    'confusion_matrix', 'iou_from_confusion',
    'threshold_sweep_confusion', 'boundary_counts', 'boundary_f_from_counts',
    'boundary_f_score'
]
