"""Input checks shared by the refiners."""
from typing import Tuple

import numpy as np


def check_inputs(image: np.ndarray, cams: np.ndarray,
                 keys: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Validate the refiner inputs and return ``(cams float32, keys int64)``.

    Args:
        image (np.ndarray): (H, W, 3) uint8 RGB.
        cams (np.ndarray): (K, H, W) CAMs in [0, 1].
        keys (np.ndarray): (K,) 0-based foreground classes; key + 1 must fit
            in a uint8 label below 255.
    """
    cams = np.asarray(cams, np.float32)
    keys = np.asarray(keys, np.int64).reshape(-1)
    if cams.ndim != 3 or cams.shape[0] != keys.size:
        raise ValueError(f'cams of shape {cams.shape} do not match '
                         f'{keys.size} keys')
    if image.ndim != 3 or image.shape[:2] != cams.shape[1:] or \
            image.shape[2] != 3:
        raise ValueError(f'image of shape {image.shape} does not match '
                         f'CAMs of shape {cams.shape} (need H x W x 3)')
    if keys.size and (keys.min() < 0 or keys.max() >= 254):
        raise ValueError(f'keys {keys.tolist()} outside 0..253')
    return cams, keys
