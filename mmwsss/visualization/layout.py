"""Arrange titled tiles into figures and write them as RGB PNGs."""
import io
from typing import List, Sequence

import numpy as np
from PIL import Image

from mmwsss.utils.atomic_io import atomic_write
from .panels import _titled

WHITE = 255


def _pad(tile: np.ndarray, height: int, width: int) -> np.ndarray:
    """``tile`` in the top-left corner of a white (height, width) canvas."""
    out = np.full((height, width, 3), WHITE, np.uint8)
    out[:tile.shape[0], :tile.shape[1]] = tile
    return out


def tile_row(tiles: Sequence[np.ndarray],
             titles: Sequence[str],
             gap: int = 4) -> np.ndarray:
    """RGB tiles side by side, each under its title (14 px strip), ``gap``
    white pixels apart; shorter tiles are padded at the bottom.

    Args:
        tiles (Sequence[np.ndarray]): uint8 (h_i, w_i, 3) images.
        titles (Sequence[str]): one title per tile (cut to fit the tile).
        gap (int): pixels between tiles. Default: 4.

    Returns:
        np.ndarray: uint8 (14 + max h_i, Σ w_i + gap·(n − 1), 3).
    """
    if len(tiles) != len(titles) or not tiles:
        raise ValueError(f'need one title per tile and at least one tile, '
                         f'got {len(tiles)} tiles and {len(titles)} titles')
    done = [_titled(np.ascontiguousarray(t, np.uint8), s)
            for t, s in zip(tiles, titles)]
    height = max(t.shape[0] for t in done)
    parts: List[np.ndarray] = []
    for tile in done:
        parts += [_pad(tile, height, tile.shape[1]),
                  np.full((height, gap, 3), WHITE, np.uint8)]
    return np.concatenate(parts[:-1], axis=1)


def stack_rows(rows: Sequence[np.ndarray], gap: int = 4) -> np.ndarray:
    """RGB images one under the other, left-aligned on white, ``gap``
    pixels apart; narrower ones are padded on the right."""
    if not rows:
        raise ValueError('need at least one row')
    width = max(r.shape[1] for r in rows)
    parts: List[np.ndarray] = []
    for row in rows:
        parts += [_pad(row, row.shape[0], width),
                  np.full((gap, width, 3), WHITE, np.uint8)]
    return np.concatenate(parts[:-1], axis=0)


def save_rgb_png(path: str, image: np.ndarray) -> None:
    """Write a uint8 (H, W, 3) RGB array as a PNG, atomically (folders are
    created)."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'need a uint8 (H, W, 3) RGB image, got '
                         f'{image.dtype} {image.shape}')
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format='PNG')
    atomic_write(path, buf.getvalue())
