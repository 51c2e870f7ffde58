from .fixed_order_color_jitter import FixedOrderColorJitter
from .load_pseudo_label_pair import LoadPseudoLabelPair
from .pack_pseudo_label_pair import PackPseudoLabelPair, reliable_label

__all__ = [
    'LoadPseudoLabelPair', 'PackPseudoLabelPair', 'reliable_label',
    'FixedOrderColorJitter'
]
