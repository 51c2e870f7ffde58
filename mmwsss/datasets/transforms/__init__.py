from .box_pad_random_crop import BoxPadRandomCrop
from .box_random_flip import BoxRandomFlip
from .box_random_rescale import BoxRandomRescale
from .centred_pad_random_crop import CentredPadRandomCrop
from .checked_load_annotations import CheckedLoadAnnotations
from .checked_load_image_from_file import CheckedLoadImageFromFile
from .crf_affinity_label import CRFAffinityLabel
from .fixed_order_color_jitter import FixedOrderColorJitter
from .irn_random_crop import IRNRandomCrop
from .irn_random_flip import IRNRandomFlip
from .irn_random_rescale import IRNRandomRescale
from .joint_random_flip import JointRandomFlip
from .load_box_background_mask import LoadBoxBackgroundMask, boxes_to_bg_mask
from .load_crf_score_pair import LoadCRFScorePair
from .load_ir_label import LoadIRLabel
from .load_pseudo_label_pair import LoadPseudoLabelPair
from .nearest_downsample import NearestDownsample, nearest_downsample
from .pack_affinity_inputs import PackAffinityInputs
from .pack_box_inputs import PackBoxInputs
from .pack_pseudo_label_pair import PackPseudoLabelPair, reliable_label
from .path_pair_labels import PathPairLabels
from .psa_random_crop import PSARandomCrop

__all__ = [
    'CRFAffinityLabel', 'JointRandomFlip', 'LoadCRFScorePair',
    'PackAffinityInputs', 'PSARandomCrop',
    'LoadPseudoLabelPair', 'PackPseudoLabelPair', 'reliable_label',
    'FixedOrderColorJitter', 'LoadBoxBackgroundMask', 'boxes_to_bg_mask',
    'BoxRandomRescale', 'BoxPadRandomCrop', 'BoxRandomFlip', 'PackBoxInputs',
    'CentredPadRandomCrop', 'LoadIRLabel', 'IRNRandomRescale',
    'IRNRandomFlip', 'IRNRandomCrop', 'NearestDownsample',
    'nearest_downsample', 'PathPairLabels', 'CheckedLoadImageFromFile',
    'CheckedLoadAnnotations'
]
