"""Stage 3: turn CAMs into pseudo labels (refiners registered in
``TASK_UTILS``; call ``refiner(image, cams, keys) -> label map``)."""
from .dense_crf import dense_crf
from .dense_crf_refiner import DenseCRFRefiner
from .threshold_refiner import ThresholdRefiner

__all__ = ['ThresholdRefiner', 'DenseCRFRefiner', 'dense_crf']
