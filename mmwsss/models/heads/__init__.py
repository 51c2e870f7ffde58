from .bap_head import BAPHead
from .cosine_aspp_head import CosineASPPHead
from .cosine_seg_head import CosineSegHead
from .deeplabv2_head import DeepLabV2Head
from .gap_head import GAPHead
from .gpp_head import GPPHead

__all__ = [
    'GAPHead', 'GPPHead', 'DeepLabV2Head', 'CosineSegHead', 'CosineASPPHead',
    'BAPHead'
]
