from .acr_reconstructor import ACRReconstructor
from .reconstruction_unet import ReconstructionUNet

__all__ = ['ACRReconstructor', 'ReconstructionUNet']
