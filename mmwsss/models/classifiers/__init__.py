from .acr_classifier import ACRClassifier
from .aeft_classifier import AEFTClassifier
from .bana_classifier import BANAClassifier
from .cam_classifier import CAMClassifier
from .seam_classifier import SEAMClassifier

__all__ = [
    'CAMClassifier', 'AEFTClassifier', 'SEAMClassifier', 'BANAClassifier',
    'ACRClassifier'
]
