"""Stages 3-4: turn CAMs into pseudo labels (refiners registered in
``TASK_UTILS``; call ``refiner(image, cams, keys) -> label map``), and
BANA's box pseudo labels (:class:`BoxPseudoLabelGenerator`, which works on
the stage-1 features instead of CAM files)."""
from .affinity_labels import *  # noqa: F401,F403
from .box_labeler import BoxPseudoLabelGenerator, UpsampledFeatures
from .dense_crf_refiner import DenseCRFRefiner
from .random_walk import *  # noqa: F401,F403
from .threshold_refiner import ThresholdRefiner

__all__ = [
    'ThresholdRefiner', 'DenseCRFRefiner', 'BoxPseudoLabelGenerator',
    'UpsampledFeatures'
]
