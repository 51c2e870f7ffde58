"""Label maps as palette PNGs: the VOC colour map, validated reads and
atomic writes. Values: 0 = background, c = class c - 1, 255 = ignore."""
import io
from typing import List

import numpy as np
from PIL import Image

from mmwsss.utils import InvalidInputError
from mmwsss.utils.atomic_io import atomic_write
from .checks import require_file

IGNORE_INDEX = 255


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
