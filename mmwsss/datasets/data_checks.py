"""Checks over a dataset's data list: images without a foreground label,
and a full decode of every image and label map."""
import logging
from typing import List, Optional, Sequence

from mmengine.logging import print_log

from mmwsss.fileio import read_label_png, read_rgb
from mmwsss.utils import InvalidInputError


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
