"""PASCAL VOC images with bounding boxes from the annotation XMLs (BANA)."""
import os.path as osp
from typing import List, Optional

import numpy as np
from mmpretrain.datasets import MultiLabelDataset

from mmwsss import fileio
from mmwsss.registry import DATASETS
from .data_checks import (
    check_bad_sample_policy,
    drop_bad_samples,
    drop_or_raise_empty,
    verify_images,
)
from .voc_cls_dataset import VOC_CLASSES


@DATASETS.register_module()
class VOCBoxDataset(MultiLabelDataset):
    """PASCAL VOC (or the toy VOC) images with box annotations.

    Each data info holds ``img_path``, ``img_id``, ``width``/``height`` (from
    the XML ``<size>``), ``gt_bboxes`` float32 (N, 4) x1, y1, x2, y2 exactly
    as written in the XML (VOC's 1-based integers, no -1 shift, as the official
    BANA code), ``gt_bboxes_labels`` int64 (N,) 0-based foreground indices,
    ``gt_difficult`` and ``gt_truncated`` bool (N,), ``gt_label`` (the sorted
    unique box labels) and ``seg_map_path`` when that PNG exists.

    The toy VOC needs ``metainfo=dict(classes=TOY_CLASSES)``.

    Args:
        data_root (str): dataset root, e.g. ``data/VOCdevkit/VOC2012``.
        split (str): id list ``ImageSets/Segmentation/<split>.txt``.
            Default: ``'train'``.
        ann_file (str): id list relative to ``data_root``; overrides
            ``split`` when given. Default: ``''``.
        ann_dir (str): XML folder. Default: ``'Annotations'``.
        seg_map_dir (str): label PNG folder. Default: ``'SegmentationClass'``.
        keep_difficult (bool): keep boxes flagged difficult, as the official
            BANA code does. Default: True.
        drop_empty (bool): drop images without boxes with a warning instead
            of raising :class:`InvalidInputError`. Default: False.
        verify_images (bool): decode every image (and label PNG) at load
            time. Default: False.
        on_bad_sample (str): what a missing or undecodable image (or label
            PNG) does: ``'error'`` stops with :class:`InvalidInputError` /
            :class:`MissingInputError` naming the file, when it is loaded
            (or at load time with ``verify_images``); ``'skip'`` decodes
            every image when the dataset loads and drops the bad ones with a
            warning listing them (their ids in ``skipped_ids``; the pipeline
            report lists them). Default: ``'error'``.
        img_suffix (str): image file suffix. Default: ``'.jpg'``.
        data_prefix (dict): ``img_path``: image folder.
            Default: ``dict(img_path='JPEGImages')``.
        **kwargs: other arguments of mmpretrain ``MultiLabelDataset``.
    """
    METAINFO = dict(classes=VOC_CLASSES)

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 ann_file: str = '',
                 ann_dir: str = 'Annotations',
                 seg_map_dir: str = 'SegmentationClass',
                 keep_difficult: bool = True,
                 drop_empty: bool = False,
                 verify_images: bool = False,
                 on_bad_sample: str = 'error',
                 img_suffix: str = '.jpg',
                 data_prefix: Optional[dict] = None,
                 **kwargs) -> None:
        fileio.require_dir(data_root, 'Data root', fileio.VOC_HINT)
        self.ann_dir = osp.join(data_root, ann_dir)
        self.seg_map_dir = osp.join(data_root, seg_map_dir)
        self.keep_difficult = keep_difficult
        self.drop_empty = drop_empty
        self.verify_images = verify_images
        self.on_bad_sample = check_bad_sample_policy(on_bad_sample)
        self.skipped_ids: List[str] = []
        self.img_suffix = img_suffix
        super().__init__(
            ann_file=ann_file or f'ImageSets/Segmentation/{split}.txt',
            data_root=data_root,
            data_prefix=data_prefix or dict(img_path='JPEGImages'),
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the id list and parse the XML of every image."""
        data_list = []
        for img_id in fileio.read_split(self.ann_file):
            ann = fileio.parse_voc_xml(
                osp.join(self.ann_dir, f'{img_id}.xml'), self.class_to_idx)
            objs = [
                obj for obj in ann['objects']
                if self.keep_difficult or not obj['difficult']
            ]
            labels = np.array([obj['label'] for obj in objs], dtype=np.int64)
            info = dict(
                img_path=osp.join(self.img_prefix, img_id + self.img_suffix),
                img_id=img_id,
                width=ann['width'],
                height=ann['height'],
                gt_bboxes=np.array([obj['bbox'] for obj in objs],
                                   dtype=np.float32).reshape(-1, 4),
                gt_bboxes_labels=labels,
                gt_difficult=np.array([obj['difficult'] for obj in objs],
                                      dtype=bool),
                gt_truncated=np.array([obj['truncated'] for obj in objs],
                                      dtype=bool),
                gt_label=np.unique(labels).tolist())
            seg_path = osp.join(self.seg_map_dir, f'{img_id}.png')
            if osp.isfile(seg_path):
                info['seg_map_path'] = seg_path
            data_list.append(info)
        data_list = drop_or_raise_empty(data_list, self.drop_empty,
                                               f'the XMLs of {self.ann_file}')
        if self.on_bad_sample == 'skip':
            data_list, self.skipped_ids = drop_bad_samples(
                data_list, len(self.CLASSES), self.ann_file)
        elif self.verify_images:
            verify_images(data_list, len(self.CLASSES))
        return data_list
