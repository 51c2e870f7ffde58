from .deeplabv2_head import DeepLabV2Head
from .gap_head import GAPHead

__all__ = ['GAPHead', 'DeepLabV2Head']
