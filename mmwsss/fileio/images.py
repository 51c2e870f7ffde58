"""Image reads with a clear error when the file is missing or corrupt."""
from typing import Tuple

import numpy as np
from PIL import Image

from mmwsss.utils import InvalidInputError
from .checks import require_file


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
