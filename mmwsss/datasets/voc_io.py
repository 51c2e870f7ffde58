"""Shared file helpers of the datasets, converters and the toy generator.

Reading validates what it reads and raises :class:`MissingInputError` /
:class:`InvalidInputError` with a message naming the file and the fix;
writing is atomic (temporary name, then :func:`os.replace`).
"""
import io
import logging
import os.path as osp
import xml.etree.ElementTree as ET
from typing import (Dict, Iterable, List, Mapping, Optional, Sequence,
                    Tuple)

import numpy as np
from mmengine.logging import print_log
from PIL import Image

from mmwsss.utils import InvalidInputError, MissingInputError
from mmwsss.utils.atomic_io import atomic_write

VOC_CLASSES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car',
               'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse',
               'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train',
               'tvmonitor')
IGNORE_INDEX = 255

VOC_HINT = (
    'For PASCAL VOC 2012 download the trainval tar '
    '(http://host.robots.ox.ac.uk/pascal/VOC/voc2012/'
    'VOCtrainval_11-May-2012.tar) and SBD benchmark.tgz '
    '(http://www.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/'
    'semantic_contours/benchmark.tgz), extract both under data/ and run '
    '`python tools/dataset_converters/voc_aug.py data/VOCdevkit/VOC2012 '
    'data/benchmark_RELEASE` (writes SegmentationClassAug, '
    'ImageSets/Segmentation/trainaug.txt and cls_labels.txt). For the toy '
    'set run `python tools/misc/make_toy_voc.py --out data/toyvoc`.')
COCO_HINT = (
    'Download COCO 2014 (train2014.zip, val2014.zip and '
    'annotations_trainval2014.zip from http://images.cocodataset.org), '
    'extract them into data/coco and run '
    '`python tools/dataset_converters/coco.py data/coco` (writes '
    'cls_labels_<split>.txt and SegmentationClass/<split>2014/).')


def voc_palette(num: int = 256) -> np.ndarray:
    """The PASCAL VOC colour map (index 255 is the cream ignore colour).

    Each colour spreads the bits of its index over R, G and B, most
    significant bit first.

    Args:
        num (int): number of colours. Default: 256.

    Returns:
        np.ndarray: uint8 array of shape (num, 3).
    """
    index = np.arange(num)
    palette = np.zeros((num, 3), dtype=np.int64)
    for shift in range(8):
        for channel in range(3):
            bit = (index >> (3 * shift + channel)) & 1
            palette[:, channel] |= bit << (7 - shift)
    return palette.astype(np.uint8)


def require_dir(path: str, what: str, fix: str) -> None:
    """Raise :class:`MissingInputError` when folder ``path`` is missing.

    Args:
        path (str): the folder.
        what (str): what the folder is, for the message.
        fix (str): how to create it.
    """
    if not osp.isdir(path):
        raise MissingInputError(f'{what} {path} does not exist. {fix}')


def require_file(path: str, what: str, fix: str) -> None:
    """Raise :class:`MissingInputError` when file ``path`` is missing.

    Args:
        path (str): the file.
        what (str): what the file is, for the message.
        fix (str): how to create it.
    """
    if not osp.isfile(path):
        raise MissingInputError(f'{what} {path} does not exist. {fix}')


def read_split(path: str, fix: str = VOC_HINT) -> List[str]:
    """Read an image-id list (one id per line, blank lines skipped).

    Args:
        path (str): the split file, e.g. ``ImageSets/Segmentation/val.txt``.
        fix (str): how to create it, for the error message.

    Returns:
        list[str]: the ids in file order.
    """
    require_file(path, 'Split file', fix)
    with open(path, encoding='utf-8') as f:
        ids = [line.split()[0] for line in f if line.strip()]
    if not ids:
        raise InvalidInputError(f'Split file {path} lists no image. {fix}')
    return ids


def read_label_png(path: str, num_classes: int) -> np.ndarray:
    """Read a label PNG as indices and validate its values.

    Palette ('P') and grey ('L') PNGs store class indices; colour-coded
    (RGB) masks are refused.

    Args:
        path (str): the PNG.
        num_classes (int): number of foreground classes C; valid values are
            0 (background), 1..C and 255 (ignore).

    Returns:
        np.ndarray: uint8 (H, W) label map.
    """
    require_file(
        path, 'Label PNG', 'Check the id list, or create the masks (VOC: '
        '`python tools/dataset_converters/voc_aug.py`).')
    try:
        with Image.open(path) as img:
            mode = img.mode
            mask = np.array(img)
    except (OSError, SyntaxError, ValueError) as e:
        raise InvalidInputError(
            f'Label PNG {path} cannot be read ({e}). Re-extract or regenerate '
            'the file.') from e
    if mode not in ('P', 'L'):
        raise InvalidInputError(
            f'Label PNG {path} has mode {mode!r}, not a palette (P) or grey '
            '(L) index map; colour-coded masks are not class indices. '
            'Convert them with `python tools/dataset_converters/voc_aug.py`, '
            'which maps VOC colours back to indices and writes palette PNGs '
            '(SegmentationClassAug, train and val ids included).')
    check_label_values(mask, num_classes, f'Label PNG {path}')
    return mask


def check_label_values(mask: np.ndarray, num_classes: int, what: str) -> None:
    """Raise :class:`InvalidInputError` for values outside 0..C and 255.

    Args:
        mask (np.ndarray): label map.
        num_classes (int): number of foreground classes C.
        what (str): the map's source for the message, e.g. ``'Label PNG x'``.
    """
    bad = np.setdiff1d(
        np.unique(mask), np.r_[np.arange(num_classes + 1), IGNORE_INDEX])
    if bad.size:
        raise InvalidInputError(
            f'{what} holds values {bad.tolist()} outside 0..{num_classes} '
            f'and {IGNORE_INDEX}. Check that the dataset classes (metainfo) '
            'match the masks.')


def labels_from_mask(mask: np.ndarray) -> List[int]:
    """Foreground classes present in a validated label map.

    Args:
        mask (np.ndarray): label map, 0 = background, 255 = ignore.

    Returns:
        list[int]: sorted 0-based class indices (mask value - 1).
    """
    values = np.unique(mask)
    return [int(v) - 1 for v in values if 0 < v < IGNORE_INDEX]


def _xml_number(node: ET.Element, tag: str, path: str) -> float:
    child = node.find(tag)
    try:
        return float(child.text)
    except (AttributeError, TypeError, ValueError):
        raise InvalidInputError(
            f'Annotation {path}: <{node.tag}> has no numeric <{tag}>. '
            'Re-extract the VOC Annotations folder.') from None


def parse_voc_xml(path: str, class_to_idx: Mapping[str, int]) -> dict:
    """Parse and validate a VOC annotation XML.

    Boxes are taken as written (VOC's 1-based integers, no -1 shift); a box
    must satisfy ``0 <= x1 < x2 <= W`` and ``0 <= y1 < y2 <= H``.

    Args:
        path (str): the XML file.
        class_to_idx (Mapping[str, int]): class name -> 0-based index.

    Returns:
        dict: ``width``, ``height`` (int) and ``objects``, a list of dicts
        with ``name``, ``label``, ``bbox`` (x1, y1, x2, y2 floats),
        ``difficult`` and ``truncated`` (bool).
    """
    require_file(path, 'Annotation XML', VOC_HINT)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise InvalidInputError(
            f'Annotation {path} is not valid XML ({e}). Re-extract the VOC '
            'Annotations folder.') from e
    size = root.find('size')
    if size is None:
        raise InvalidInputError(
            f'Annotation {path} has no <size>. Re-extract the VOC '
            'Annotations folder.')
    width = int(_xml_number(size, 'width', path))
    height = int(_xml_number(size, 'height', path))
    objects = []
    for i, obj in enumerate(root.findall('object')):
        name = (obj.findtext('name') or '').strip()
        if name not in class_to_idx:
            raise InvalidInputError(
                f'Annotation {path}: object {i} has class {name!r}, which is '
                f'not one of the dataset classes {tuple(class_to_idx)}. Set '
                '`metainfo=dict(classes=...)` to the classes of the data.')
        box = obj.find('bndbox')
        if box is None:
            raise InvalidInputError(
                f'Annotation {path}: object {i} ({name}) has no <bndbox>. '
                'Fix or remove the object.')
        x1, y1, x2, y2 = (
            _xml_number(box, t, path)
            for t in ('xmin', 'ymin', 'xmax', 'ymax'))
        if not (0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height):
            raise InvalidInputError(
                f'Annotation {path}: object {i} ({name}) has box '
                f'({x1:g}, {y1:g}, {x2:g}, {y2:g}) outside the '
                f'{width}x{height} image or empty. Fix or remove the '
                'object.')
        objects.append(
            dict(
                name=name,
                label=class_to_idx[name],
                bbox=(x1, y1, x2, y2),
                difficult=obj.findtext('difficult', '0').strip() == '1',
                truncated=obj.findtext('truncated', '0').strip() == '1'))
    return dict(width=width, height=height, objects=objects)


def read_cls_labels(path: str,
                    num_classes: int,
                    fix: str = VOC_HINT) -> Dict[str, List[int]]:
    """Read an image-label file with lines ``<id> <idx> <idx> ...``.

    Args:
        path (str): the label file, e.g. ``cls_labels.txt``.
        num_classes (int): number of foreground classes.
        fix (str): how to create the file, for the error messages.

    Returns:
        dict[str, list[int]]: id -> 0-based class indices.
    """
    require_file(path, 'Image-label file', fix)
    labels = {}
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            img_id, *values = line.split()
            try:
                idx = sorted({int(v) for v in values})
            except ValueError:
                idx = [-1]
            if any(not 0 <= v < num_classes for v in idx):
                raise InvalidInputError(
                    f'Image-label file {path} line {lineno} ({line.strip()!r})'
                    f' has a class index outside 0..{num_classes - 1}. '
                    f'Regenerate the file. {fix}')
            labels[img_id] = idx
    return labels


def format_cls_labels(labels: Mapping[str, Iterable[int]]) -> str:
    """Text of an image-label file (see :func:`read_cls_labels`).

    Args:
        labels (Mapping[str, Iterable[int]]): id -> class indices.

    Returns:
        str: one line per id, ids sorted.
    """
    return ''.join(' '.join([img_id, *map(str, sorted(labels[img_id]))]) + '\n'
                   for img_id in sorted(labels))


def encode_label_png(mask: np.ndarray) -> bytes:
    """Encode a uint8 label map as a palette PNG with the VOC colour map.

    Args:
        mask (np.ndarray): uint8 (H, W) label map.

    Returns:
        bytes: the PNG file content.
    """
    mask = np.ascontiguousarray(mask, dtype=np.uint8)
    img = Image.frombytes('P', mask.shape[::-1], mask.tobytes())
    img.putpalette(voc_palette().ravel().tolist())
    buf = io.BytesIO()
    img.save(buf, format='PNG', optimize=False)
    return buf.getvalue()


def save_label_png(path: str, mask: np.ndarray) -> None:
    """Atomically write a label map as a VOC palette PNG.

    Args:
        path (str): the destination PNG.
        mask (np.ndarray): uint8 (H, W) label map.
    """
    atomic_write(path, encode_label_png(mask))


def drop_or_raise_empty(data_list: List[dict], drop_empty: bool,
                        source: str) -> List[dict]:
    """Handle images without any foreground label.

    Args:
        data_list (list[dict]): data infos with ``gt_label`` and ``img_id``.
        drop_empty (bool): drop them with a warning instead of raising.
        source (str): where the labels came from, for the messages.

    Returns:
        list[dict]: the data infos that have at least one label.
    """
    kept = [info for info in data_list if len(info['gt_label'])]
    empty = [info['img_id'] for info in data_list if not len(info['gt_label'])]
    if empty and not drop_empty:
        raise InvalidInputError(
            f'{len(empty)} image(s) have no foreground label in {source}, '
            f'e.g. {empty[:5]}. Weak supervision needs at least one label '
            'per image: fix the annotations or pass `drop_empty=True`.')
    if empty:
        print_log(
            f'Dropped {len(empty)} image(s) without foreground labels in '
            f'{source}, e.g. {empty[:5]}.',
            logger='current',
            level=logging.WARNING)
    return kept


def verify_images(data_list: Sequence[dict],
                  num_classes: Optional[int] = None) -> None:
    """Decode every image (and label map) of a data list and check them.

    Checks that each ``img_path`` decodes, and where a ``seg_map_path`` is
    given, that the label map is valid and has the image's size. This reads
    every file, so datasets run it only when asked (``verify_images=True``).

    Args:
        data_list (Sequence[dict]): data infos with ``img_path`` and
            optionally ``seg_map_path``.
        num_classes (int, optional): number of foreground classes, needed to
            validate label maps.
    """
    for info in data_list:
        path = info['img_path']
        height, width = read_rgb(path).shape[:2]
        seg_path = info.get('seg_map_path')
        if seg_path is None or num_classes is None:
            continue
        mask = read_label_png(seg_path, num_classes)
        if mask.shape != (height, width):
            raise InvalidInputError(
                f'Label PNG {seg_path} is {mask.shape[1]}x{mask.shape[0]} but '
                f'image {path} is {width}x{height}. Regenerate the mask '
                'at the image size.')


def _unreadable(path: str, error: Exception) -> InvalidInputError:
    return InvalidInputError(
        f'Image {path} is unreadable or corrupt ({error}). Re-extract or '
        'regenerate it, or remove its id from the split file.')


def read_rgb(path: str) -> np.ndarray:
    """Read an image as uint8 (H, W, 3) RGB, with a clear error when it is
    missing or unreadable."""
    require_file(path, 'Image', 'Check the id list and the image folder.')
    try:
        with Image.open(path) as img:
            return np.array(img.convert('RGB'))
    except (OSError, SyntaxError, ValueError) as e:
        raise _unreadable(path, e) from e


def read_image_size(path: str) -> Tuple[int, int]:
    """(H, W) of an image from its header (the pixels are not decoded)."""
    require_file(path, 'Image', 'Check the id list and the image folder.')
    try:
        with Image.open(path) as img:
            width, height = img.size
    except (OSError, SyntaxError, ValueError) as e:
        raise _unreadable(path, e) from e
    return height, width
