from .bap_head import BAPHead
from .gap_head import GAPHead
from .gpp_head import GPPHead

__all__ = ['GAPHead', 'GPPHead', 'BAPHead']
