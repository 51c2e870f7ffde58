"""MS-COCO 2014 images with image-level labels."""
import json
import os.path as osp
from collections import defaultdict
from typing import List, Optional, Tuple

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

# The 80 COCO category ids in ascending order; label i <-> COCO_CAT_IDS[i].
COCO_CAT_IDS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19,
                20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38,
                39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55,
                56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75,
                76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90)
COCO_CLASSES = ('person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus',
                'train', 'truck', 'boat', 'traffic light', 'fire hydrant',
                'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog',
                'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra',
                'giraffe', 'backpack', 'umbrella', 'handbag', 'tie',
                'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball',
                'kite', 'baseball bat', 'baseball glove', 'skateboard',
                'surfboard', 'tennis racket', 'bottle', 'wine glass', 'cup',
                'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple',
                'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza',
                'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed',
                'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote',
                'keyboard', 'cell phone', 'microwave', 'oven', 'toaster',
                'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors',
                'teddy bear', 'hair drier', 'toothbrush')


def coco_categories(coco: dict) -> Tuple[Tuple[int, ...], Tuple[str, ...]]:
    """Category ids and names of an instances json in label order.

    Label ``i`` is the ``i``-th category in ascending id order, whatever
    order the json lists them in; for COCO 2014 these are
    :data:`COCO_CAT_IDS` and :data:`COCO_CLASSES`. A json without a
    ``categories`` list gets those 80.

    Args:
        coco (dict): a loaded instances json.

    Returns:
        tuple: (category ids, names), both in label order.
    """
    categories = coco.get('categories')
    if not categories:
        return COCO_CAT_IDS, COCO_CLASSES
    ordered = sorted(categories, key=lambda c: c['id'])
    return (tuple(c['id'] for c in ordered),
            tuple(c['name'] for c in ordered))


def load_coco_instances(path: str) -> dict:
    """Load and sanity-check a COCO instances json.

    Args:
        path (str): e.g. ``annotations/instances_train2014.json``.

    Returns:
        dict: the json with ``images``, ``annotations`` and ``categories``.
    """
    fileio.require_file(path, 'COCO instances json', fileio.COCO_HINT)
    try:
        with open(path, encoding='utf-8') as f:
            coco = json.load(f)
    except (ValueError, UnicodeDecodeError) as e:
        raise InvalidInputError(
            f'COCO instances json {path} cannot be parsed ({e}). Download '
            'it again.') from e
    missing = {'images', 'annotations'} - set(coco)
    if missing:
        raise InvalidInputError(
            f'COCO instances json {path} lacks {sorted(missing)}; it is not '
            'an instances_*.json file. ' + fileio.COCO_HINT)
    categories = coco.get('categories') or []
    if any(not {'id', 'name'} <= set(c) for c in categories) or len(
            {c['id'] for c in categories}) < len(categories):
        raise InvalidInputError(
            f'COCO instances json {path}: every entry of "categories" needs '
            'an "id" and a "name", and the ids must differ.')
    cat_ids = set(coco_categories(coco)[0])
    for ann in coco['annotations']:
        if ann.get('category_id') not in cat_ids:
            known = (f'one of the {len(cat_ids)} ids of its "categories"'
                     if categories else
                     'one of the 80 COCO ids (COCO_CAT_IDS in '
                     'mmwsss.datasets.coco_cls_dataset)')
            raise InvalidInputError(
                f'COCO instances json {path}: annotation {ann.get("id")} has '
                f'category_id {ann.get("category_id")!r}, not {known}.')
    return coco


@DATASETS.register_module()
class COCOClsDataset(MultiLabelDataset):
    """MS-COCO 2014 images with image-level labels.

    The category ids map to contiguous labels in ascending id order
    (:func:`coco_categories`): for COCO the 80 ids (1..90 with gaps) give
    labels 0..79, label ``i`` being ``COCO_CAT_IDS[i]`` named
    ``COCO_CLASSES[i]`` (person = 0, ..., toothbrush = 79); mmseg index =
    label + 1 in the masks of ``tools/dataset_converters/coco.py``, which
    maps the same way. Data in the COCO format with other categories (the
    toy COCO of ``tools/misc/make_toy_coco.py``) sets
    ``metainfo=dict(classes=...)`` to their names in ascending id order; a
    json whose names differ from the classes is refused.

    ``ann_file`` is either an instances json (labels = categories of the
    image's annotations, ``img_path`` from its ``file_name``) or the
    ``cls_labels_<split>.txt`` written by the converter (lines ``<stem> <idx>
    ...``, images ``<stem>.jpg``), which loads in a fraction of the time.
    Data infos hold ``img_path``, ``img_id`` (the file stem), ``gt_label``
    and, when ``seg_map_dir`` is set and the PNG exists, ``seg_map_path``.

    Args:
        data_root (str): COCO root. Default: ``'data/coco'``.
        ann_file (str): instances json or label file relative to
            ``data_root``. Default: ``'annotations/instances_train2014.json'``.
        skip_crowd (bool): ignore ``iscrowd=1`` annotations when collecting
            labels (json only). Default: False (all annotations count, as in
            the BANA reproduction).
        drop_empty (bool): drop images without annotations, logging the
            count (WSSS needs at least one label per image); when False they
            raise :class:`InvalidInputError`. Default: True.
        seg_map_dir (str, optional): folder of semantic masks, e.g.
            ``'SegmentationClass/train2014'``. Default: None.
        verify_images (bool): decode every image (and mask) at load time.
            Default: False.
        on_bad_sample (str): what a missing or undecodable image (or label
            PNG) does: ``'error'`` stops with :class:`InvalidInputError` /
            :class:`MissingInputError` naming the file, when it is loaded
            (or at load time with ``verify_images``); ``'skip'`` decodes
            every image when the dataset loads and drops the bad ones with a
            warning listing them (their ids in ``skipped_ids``; the pipeline
            report lists them). Default: ``'error'``.
        data_prefix (dict): ``img_path``: image folder.
            Default: ``dict(img_path='train2014')``.
        **kwargs: other arguments of mmpretrain ``MultiLabelDataset``.
    """
    METAINFO = dict(classes=COCO_CLASSES)

    def __init__(self,
                 data_root: str = 'data/coco',
                 ann_file: str = 'annotations/instances_train2014.json',
                 skip_crowd: bool = False,
                 drop_empty: bool = True,
                 seg_map_dir: Optional[str] = None,
                 verify_images: bool = False,
                 on_bad_sample: str = 'error',
                 data_prefix: Optional[dict] = None,
                 **kwargs) -> None:
        fileio.require_dir(data_root, 'Data root', fileio.COCO_HINT)
        self.skip_crowd = skip_crowd
        self.drop_empty = drop_empty
        self.seg_map_dir = (
            osp.join(data_root, seg_map_dir) if seg_map_dir else None)
        self.verify_images = verify_images
        self.on_bad_sample = check_bad_sample_policy(on_bad_sample)
        self.skipped_ids: List[str] = []
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix or dict(img_path='train2014'),
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Collect the labels of every image from ``ann_file``."""
        if self.ann_file.endswith('.txt'):
            table = fileio.read_cls_labels(self.ann_file, self.num_classes,
                                           fileio.COCO_HINT)
            data_list = [
                dict(
                    img_path=osp.join(self.img_prefix, f'{stem}.jpg'),
                    img_id=stem,
                    gt_label=labels) for stem, labels in table.items()
            ]
        else:
            data_list = self._from_json()
        if self.seg_map_dir:
            for info in data_list:
                seg_path = osp.join(self.seg_map_dir, info['img_id'] + '.png')
                if osp.isfile(seg_path):
                    info['seg_map_path'] = seg_path
        data_list = drop_or_raise_empty(data_list, self.drop_empty,
                                               self.ann_file)
        if self.on_bad_sample == 'skip':
            data_list, self.skipped_ids = drop_bad_samples(
                data_list, self.num_classes, self.ann_file)
        elif self.verify_images:
            verify_images(data_list, self.num_classes)
        return data_list

    @property
    def num_classes(self) -> int:
        """Number of foreground classes (``metainfo['classes']``)."""
        return len(self.metainfo['classes'])

    def _from_json(self) -> List[dict]:
        coco = load_coco_instances(self.ann_file)
        cat_ids, names = coco_categories(coco)
        if names != tuple(self.metainfo['classes']):
            raise InvalidInputError(
                f'COCO instances json {self.ann_file} names its categories '
                f'(ascending id order) {list(names)}, but the dataset\'s '
                f'classes are {list(self.metainfo["classes"])}. Set '
                'metainfo=dict(classes=...) to the json\'s names in that '
                'order.')
        cat_to_label = {cat_id: i for i, cat_id in enumerate(cat_ids)}
        labels = defaultdict(set)
        for ann in coco['annotations']:
            if not (self.skip_crowd and ann.get('iscrowd', 0)):
                labels[ann['image_id']].add(cat_to_label[ann['category_id']])
        return [
            dict(
                img_path=osp.join(self.img_prefix, img['file_name']),
                img_id=osp.splitext(img['file_name'])[0],
                gt_label=sorted(labels[img['id']])) for img in coco['images']
        ]
