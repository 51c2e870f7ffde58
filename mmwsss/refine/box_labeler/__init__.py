"""BANA's box labeler (stage 2): box pseudo labels Y_crf and Y_ret from the
stage-1 features, the boxes and the image. :class:`BoxPseudoLabelGenerator`
runs the steps of :mod:`.functional` on :class:`UpsampledFeatures`."""
from .generator import BANA_STAGE2_CRF, BoxPseudoLabelGenerator
from .upsampled_features import UpsampledFeatures

__all__ = [
    'BoxPseudoLabelGenerator', 'BANA_STAGE2_CRF', 'UpsampledFeatures'
]
