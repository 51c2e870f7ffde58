from .affinity_label_dataset import AffinityLabelDataset
from .coco_cls_dataset import COCO_CAT_IDS, COCO_CLASSES, COCOClsDataset
from .data_checks import drop_or_raise_empty, verify_images
from .pseudo_label_seg_dataset import PseudoLabelSegDataset
from .sample_seed_sampler import SampleSeedSampler
from .toy_coco import TOY_COCO_CATEGORIES, make_toy_coco
from .toy_voc import TOY_CLASSES, make_toy_voc, render_toy_sample
from .transforms import *  # noqa: F401,F403
from .voc_box_dataset import VOCBoxDataset
from .voc_cls_dataset import VOC_CLASSES, VOCClsDataset

__all__ = [
    'AffinityLabelDataset',
    'VOCClsDataset', 'VOCBoxDataset', 'COCOClsDataset',
    'PseudoLabelSegDataset', 'TOY_CLASSES', 'make_toy_voc',
    'render_toy_sample', 'make_toy_coco', 'TOY_COCO_CATEGORIES',
    'VOC_CLASSES', 'COCO_CAT_IDS', 'COCO_CLASSES',
    'verify_images', 'drop_or_raise_empty', 'SampleSeedSampler'
]
