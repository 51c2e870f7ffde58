"""Training labels of the affinity networks, cut from the CAMs."""
from .crf_score_maker import CRFScoreMaker

__all__ = ['CRFScoreMaker']
