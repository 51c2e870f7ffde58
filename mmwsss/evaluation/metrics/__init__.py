from .boundary_f_score import BoundaryFScore
from .box_accuracy import BoxAccuracy
from .cam_metric import CAMMetric
from .pseudo_label_metric import PseudoLabelMetric

__all__ = ['CAMMetric', 'PseudoLabelMetric', 'BoundaryFScore', 'BoxAccuracy']
