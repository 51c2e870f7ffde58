from .cam_normalization import max_normalize, minmax_normalize
from .multi_scale_cam import CAM_NORMALIZERS, multi_scale_cam
from .sync_batch_norm import CPUSyncBatchNorm

__all__ = [
    'multi_scale_cam', 'CAM_NORMALIZERS', 'max_normalize', 'minmax_normalize',
    'CPUSyncBatchNorm'
]
