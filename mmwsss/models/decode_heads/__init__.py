from .cosine_aspp_head import CosineASPPHead
from .cosine_seg_head import CosineSegHead
from .deeplabv2_head import DeepLabV2Head

__all__ = ['DeepLabV2Head', 'CosineSegHead', 'CosineASPPHead']
