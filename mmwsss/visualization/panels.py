"""PNG panels people look at: image | CAMs | pseudo label | ground truth."""
from typing import List, Optional, Sequence

import numpy as np
from PIL import Image, ImageDraw

from mmwsss.fileio import voc_palette


def jet(values: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] to RGB uint8 with a jet-like ramp
    (blue -> cyan -> yellow -> red)."""
    v = np.clip(values, 0.0, 1.0)[..., None]
    rgb = np.clip(
        np.concatenate([1.5 - np.abs(4 * v - 3),
                        1.5 - np.abs(4 * v - 2),
                        1.5 - np.abs(4 * v - 1)], axis=-1), 0, 1)
    return (rgb * 255).astype(np.uint8)


def cam_overlay(image: np.ndarray, cam: np.ndarray,
                alpha: float = 0.5) -> np.ndarray:
    """Blend a CAM (H, W) in [0, 1] over an RGB image (H, W, 3)."""
    if cam.shape != image.shape[:2]:
        raise ValueError(f'CAM {cam.shape} and image {image.shape[:2]} '
                         'sizes differ')
    blend = (1 - alpha) * image.astype(np.float32) + alpha * jet(cam)
    return blend.astype(np.uint8)


def label_overlay(image: np.ndarray, label: np.ndarray,
                  alpha: float = 0.6) -> np.ndarray:
    """Blend a label map (0 bg, 1..C classes, 255 ignore in white) over an
    RGB image with the VOC palette; background stays the image."""
    if label.shape != image.shape[:2]:
        raise ValueError(f'label {label.shape} and image {image.shape[:2]} '
                         'sizes differ')
    palette = voc_palette()
    colour = palette[label].astype(np.float32)
    colour[label == 255] = 255.0
    out = image.astype(np.float32)
    mask = label > 0
    out[mask] = (1 - alpha) * out[mask] + alpha * colour[mask]
    return out.astype(np.uint8)


def _titled(tile: np.ndarray, title: str) -> np.ndarray:
    img = Image.fromarray(tile)
    canvas = Image.new('RGB', (img.width, img.height + 14), (255, 255, 255))
    canvas.paste(img, (0, 14))
    ImageDraw.Draw(canvas).text((2, 1), title[:max(4, img.width // 6)],
                                fill=(0, 0, 0))
    return np.asarray(canvas)


def make_panel(image: np.ndarray,
               cams: Optional[np.ndarray] = None,
               cam_names: Sequence[str] = (),
               pseudo: Optional[np.ndarray] = None,
               gt: Optional[np.ndarray] = None) -> np.ndarray:
    """One row: the image, one overlay per CAM, the pseudo label and the
    ground truth (each present part), with short titles."""
    tiles: List[np.ndarray] = [_titled(image, 'image')]
    for cam, name in zip(cams if cams is not None else [], cam_names):
        tiles.append(_titled(cam_overlay(image, cam), f'CAM {name}'))
    if pseudo is not None:
        tiles.append(_titled(label_overlay(image, pseudo), 'pseudo'))
    if gt is not None:
        tiles.append(_titled(label_overlay(image, gt), 'GT'))
    gap = np.full((tiles[0].shape[0], 4, 3), 255, np.uint8)
    row: List[np.ndarray] = []
    for tile in tiles:
        row += [tile, gap]
    return np.concatenate(row[:-1], axis=1)
