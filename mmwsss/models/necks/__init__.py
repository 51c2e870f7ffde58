from .pixel_correlation_module import PixelCorrelationModule

__all__ = ['PixelCorrelationModule']
