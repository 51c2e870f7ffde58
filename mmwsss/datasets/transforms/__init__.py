from .box_pad_random_crop import BoxPadRandomCrop
from .box_random_flip import BoxRandomFlip
from .box_random_rescale import BoxRandomRescale
from .centred_pad_random_crop import CentredPadRandomCrop
from .fixed_order_color_jitter import FixedOrderColorJitter
from .load_box_background_mask import LoadBoxBackgroundMask, boxes_to_bg_mask
from .load_pseudo_label_pair import LoadPseudoLabelPair
from .pack_box_inputs import PackBoxInputs
from .pack_pseudo_label_pair import PackPseudoLabelPair, reliable_label

__all__ = [
    'LoadPseudoLabelPair', 'PackPseudoLabelPair', 'reliable_label',
    'FixedOrderColorJitter', 'LoadBoxBackgroundMask', 'boxes_to_bg_mask',
    'BoxRandomRescale', 'BoxPadRandomCrop', 'BoxRandomFlip', 'PackBoxInputs',
    'CentredPadRandomCrop'
]
