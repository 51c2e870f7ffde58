"""Training labels of the affinity networks, cut from the CAMs."""
from .crf_score_maker import CRFScoreMaker
from .ir_label import ir_label
from .ir_label_maker import IRLabelMaker

__all__ = ['CRFScoreMaker', 'ir_label', 'IRLabelMaker']
