from .multi_scale_cam import max_normalize, multi_scale_cam

__all__ = ['multi_scale_cam', 'max_normalize']
