"""A pipeline stage added from outside the package: ignore the pseudo-label
pixels whose CAM evidence is ambiguous (see the project README)."""
from .uncertain_pixel_filter_stage import UncertainPixelFilterStage

__all__ = ['UncertainPixelFilterStage']
