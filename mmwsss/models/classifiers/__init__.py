from .aeft_classifier import AEFTClassifier
from .cam_classifier import CAMClassifier

__all__ = ['CAMClassifier', 'AEFTClassifier']
