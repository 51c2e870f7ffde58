from .affinity_head import AffinityHead
from .bap_head import BAPHead
from .gap_head import GAPHead
from .gpp_head import GPPHead
from .irn_head import IRNHead

__all__ = ['AffinityHead', 'GAPHead', 'GPPHead', 'BAPHead', 'IRNHead']
