"""Ground-floor ops shared by the models, the refiners, the metrics and the
stages: DenseCRF, label maps from CAMs, box geometry. Imports nothing of
mmwsss."""
from .box_geometry import grid_padding, normalize_boxes
from .cam_ops import cam_peak, cams_to_label
from .dense_crf import dense_crf

__all__ = [
    'dense_crf', 'cam_peak', 'cams_to_label', 'grid_padding',
    'normalize_boxes'
]
