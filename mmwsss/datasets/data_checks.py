"""Checks over a dataset's data list: images without a foreground label,
and a full decode of every image and label map (stop at the first bad one,
or drop the bad ones: ``on_bad_sample``)."""
import logging
from typing import List, Optional, Sequence, Tuple

from mmengine.logging import print_log

from mmwsss.fileio import read_label_png, read_rgb
from mmwsss.utils import InvalidInputError, WSSSInputError

#: what a dataset does with a missing or undecodable image
BAD_SAMPLE_POLICIES = ('error', 'skip')


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


def _check_sample(info: dict, num_classes: Optional[int]) -> None:
    path = info['img_path']
    height, width = read_rgb(path).shape[:2]
    seg_path = info.get('seg_map_path')
    if seg_path is None or num_classes is None:
        return
    mask = read_label_png(seg_path, num_classes)
    if mask.shape != (height, width):
        raise InvalidInputError(
            f'Label PNG {seg_path} is {mask.shape[1]}x{mask.shape[0]} but '
            f'image {path} is {width}x{height}. Regenerate the mask '
            'at the image size.')


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
        _check_sample(info, num_classes)


def check_bad_sample_policy(on_bad_sample: str) -> str:
    """``on_bad_sample`` when it is one of :data:`BAD_SAMPLE_POLICIES`."""
    if on_bad_sample not in BAD_SAMPLE_POLICIES:
        raise InvalidInputError(
            f'on_bad_sample must be one of {BAD_SAMPLE_POLICIES}, got '
            f"{on_bad_sample!r}: 'error' stops at a missing or corrupt "
            "image, 'skip' drops such images with a warning.")
    return on_bad_sample


def drop_bad_samples(data_list: List[dict],
                     num_classes: Optional[int] = None,
                     source: str = 'the data list'
                     ) -> Tuple[List[dict], List[str]]:
    """Decode every image (and label map) and drop the samples that fail,
    with a warning that lists them (``on_bad_sample='skip'``).

    Args:
        data_list (list[dict]): data infos with ``img_path``, ``img_id`` and
            optionally ``seg_map_path``.
        num_classes (int, optional): number of foreground classes, to check
            label maps too.
        source (str): where the list came from, for the warning.

    Returns:
        tuple[list[dict], list[str]]: the readable data infos and the ids
        of the dropped ones.
    """
    kept, skipped, reasons = [], [], []
    for info in data_list:
        try:
            _check_sample(info, num_classes)
        except (WSSSInputError, OSError) as e:
            skipped.append(info['img_id'])
            reasons.append(f'  {info["img_id"]}: {e}')
            continue
        kept.append(info)
    if skipped:
        print_log(
            f"on_bad_sample='skip': dropped {len(skipped)} of "
            f'{len(data_list)} image(s) of {source} that are missing or '
            f'cannot be read: {skipped}\n' + '\n'.join(reasons),
            logger='current',
            level=logging.WARNING)
    return kept, skipped
