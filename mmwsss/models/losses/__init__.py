from .affinity_displacement_loss import (
                                         AffinityDisplacementLoss,
                                         affinity_displacement_terms,
                                         pair_displacement,
)
from .affinity_loss import AffinityLoss
from .feature_similarity_loss import FeatureSimilarityLoss
from .importance_sampling_loss import ImportanceSamplingLoss
from .multilabel_soft_margin_loss import MultiLabelSoftMarginLoss
from .noise_aware_loss import NoiseAwareLoss
from .reconstructor_adversary_loss import (
    ReconstructorAdversaryLoss,
    cu_losses,
    ru_losses,
)
from .triplet_erasing_loss import TripletErasingLoss

__all__ = [
    'AffinityLoss', 'AffinityDisplacementLoss', 'affinity_displacement_terms',
    'pair_displacement',
    'MultiLabelSoftMarginLoss', 'TripletErasingLoss', 'FeatureSimilarityLoss',
    'ImportanceSamplingLoss', 'NoiseAwareLoss', 'ReconstructorAdversaryLoss',
    'ru_losses', 'cu_losses'
]
