"""PASCAL VOC images with image-level labels (stage 1 of WSSS)."""
import os.path as osp
from typing import List, Optional

from mmpretrain.datasets import MultiLabelDataset

from mmwsss import fileio
from mmwsss.registry import DATASETS
from mmwsss.utils import InvalidInputError
from .data_checks import (
    check_bad_sample_policy,
    drop_bad_samples,
    drop_or_raise_empty,
    verify_images,
)

VOC_CLASSES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car',
               'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse',
               'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train',
               'tvmonitor')


@DATASETS.register_module()
class VOCClsDataset(MultiLabelDataset):
    """PASCAL VOC (or the toy VOC) images with image-level labels.

    Each data info holds ``img_path``, ``img_id`` (the file stem),
    ``gt_label`` (sorted 0-based foreground indices, mmpretrain convention:
    aeroplane = 0 ... tvmonitor = 19; mmseg index = this + 1) and, when the
    PNG exists, ``seg_map_path`` under ``seg_map_dir`` (for CAM evaluation).

    The labels come from one of three sources (``label_source``):

    - ``'seg'``: the classes present in ``<seg_map_dir>/<id>.png``; values
      1..C give class value-1, 0 and 255 are ignored. Reads every PNG.
    - ``'xml'``: the object names of ``<ann_dir>/<id>.xml``.
    - ``'file'``: ``label_file`` with lines ``<id> <idx> <idx> ...``, written
      by ``tools/dataset_converters/voc_aug.py`` and
      ``tools/misc/make_toy_voc.py`` so the PNGs need not be read each time.

    The toy VOC has 6 classes: pass ``metainfo=dict(classes=TOY_CLASSES)``
    (see :mod:`mmwsss.datasets.toy_voc`).

    Args:
        data_root (str): dataset root, e.g. ``data/VOCdevkit/VOC2012``.
        split (str): id list ``ImageSets/Segmentation/<split>.txt``, e.g.
            ``'train'``, ``'val'``, ``'trainaug'``. Default: ``'train'``.
        ann_file (str): id list relative to ``data_root``; overrides
            ``split`` when given. Default: ``''``.
        label_source (str): ``'seg'``, ``'xml'`` or ``'file'``.
            Default: ``'seg'``.
        seg_map_dir (str): label PNG folder, e.g. ``'SegmentationClassAug'``
            for trainaug. Default: ``'SegmentationClass'``.
        ann_dir (str): XML folder. Default: ``'Annotations'``.
        label_file (str): image-label file. Default: ``'cls_labels.txt'``.
        keep_difficult (bool): count difficult XML objects as labels (only
            ``label_source='xml'``). Default: True.
        drop_empty (bool): drop images without foreground labels with a
            warning; by default they raise :class:`InvalidInputError`, since
            VOC segmentation images always contain an object. Default: False.
        verify_images (bool): decode every image and label PNG at load time
            and check their sizes match (slow on full VOC). Default: False.
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
        **kwargs: other arguments of mmpretrain ``MultiLabelDataset``
            (``metainfo``, ``pipeline``, ``test_mode``, ...).
    """
    METAINFO = dict(classes=VOC_CLASSES)
    LABEL_SOURCES = ('seg', 'xml', 'file')

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 ann_file: str = '',
                 label_source: str = 'seg',
                 seg_map_dir: str = 'SegmentationClass',
                 ann_dir: str = 'Annotations',
                 label_file: str = 'cls_labels.txt',
                 keep_difficult: bool = True,
                 drop_empty: bool = False,
                 verify_images: bool = False,
                 on_bad_sample: str = 'error',
                 img_suffix: str = '.jpg',
                 data_prefix: Optional[dict] = None,
                 **kwargs) -> None:
        if label_source not in self.LABEL_SOURCES:
            raise ValueError(f'label_source must be one of '
                             f'{self.LABEL_SOURCES}, got {label_source!r}')
        fileio.require_dir(data_root, 'Data root', fileio.VOC_HINT)
        self.label_source = label_source
        self.seg_map_dir = osp.join(data_root, seg_map_dir)
        self.ann_dir = osp.join(data_root, ann_dir)
        self.label_file = osp.join(data_root, label_file)
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
        """Read the id list and the labels of every image."""
        num_classes = len(self.CLASSES)
        table = None
        if self.label_source == 'file':
            table = fileio.read_cls_labels(self.label_file, num_classes)
        data_list = []
        for img_id in fileio.read_split(self.ann_file):
            seg_path = osp.join(self.seg_map_dir, f'{img_id}.png')
            info = dict(
                img_path=osp.join(self.img_prefix, img_id + self.img_suffix),
                img_id=img_id,
                gt_label=self._labels(img_id, seg_path, table, num_classes))
            if osp.isfile(seg_path):
                info['seg_map_path'] = seg_path
            data_list.append(info)
        data_list = drop_or_raise_empty(
            data_list, self.drop_empty, f'{self.ann_file} '
            f"(label_source='{self.label_source}')")
        if self.on_bad_sample == 'skip':
            data_list, self.skipped_ids = drop_bad_samples(
                data_list, num_classes, self.ann_file)
        elif self.verify_images:
            verify_images(data_list, num_classes)
        return data_list

    def _labels(self, img_id: str, seg_path: str, table: Optional[dict],
                num_classes: int) -> List[int]:
        if self.label_source == 'seg':
            return fileio.labels_from_mask(
                fileio.read_label_png(seg_path, num_classes))
        if self.label_source == 'xml':
            ann = fileio.parse_voc_xml(
                osp.join(self.ann_dir, f'{img_id}.xml'), self.class_to_idx)
            return sorted({
                obj['label']
                for obj in ann['objects']
                if self.keep_difficult or not obj['difficult']
            })
        if img_id not in table:
            raise InvalidInputError(
                f'Image-label file {self.label_file} has no line for '
                f'{img_id!r} listed in {self.ann_file}. Regenerate it. '
                f'{fileio.VOC_HINT}')
        return table[img_id]

    def extra_repr(self) -> List[str]:
        """Extra lines of ``repr(dataset)``."""
        return super().extra_repr() + [f'Label source: \t{self.label_source}']
