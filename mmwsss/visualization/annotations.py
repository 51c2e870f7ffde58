"""Draw annotations on RGB images: boxes with class names, binary masks."""
from typing import Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw

from mmwsss.fileio import voc_palette


def draw_boxes(image: np.ndarray,
               boxes: np.ndarray,
               labels: Sequence[int],
               names: Sequence[str] = ()) -> np.ndarray:
    """Outline boxes on a copy of ``image`` in the colour of their class
    (VOC palette entry label + 1, as in the label maps) and write the class
    name in the top-left corner.

    Args:
        image (np.ndarray): uint8 (H, W, 3) RGB.
        boxes (np.ndarray): (n, 4) ``x1, y1, x2, y2`` in pixels.
        labels (Sequence[int]): (n,) 0-based foreground classes.
        names (Sequence[str]): foreground class names; a label beyond them
            is written as its number.

    Returns:
        np.ndarray: uint8 (H, W, 3).
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    labels = np.asarray(labels, np.int64).reshape(-1)
    if boxes.shape[0] != labels.size:
        raise ValueError(f'{boxes.shape[0]} boxes but {labels.size} labels')
    canvas = Image.fromarray(np.ascontiguousarray(image, np.uint8))
    draw = ImageDraw.Draw(canvas)
    palette = voc_palette()
    for (x1, y1, x2, y2), label in zip(boxes, labels):
        colour = tuple(int(c) for c in palette[(label + 1) % 256])
        draw.rectangle([x1, y1, max(x1, x2 - 1), max(y1, y2 - 1)],
                       outline=colour, width=1)
        text = names[label] if 0 <= label < len(names) else str(label)
        right, bottom = draw.textbbox((x1 + 1, y1), text)[2:]
        draw.rectangle([x1, y1, right, bottom], fill=colour)
        draw.text((x1 + 1, y1), text, fill=(255, 255, 255))
    return np.asarray(canvas)


def mask_overlay(image: np.ndarray,
                 mask: np.ndarray,
                 colour: Tuple[int, int, int] = (0, 0, 0),
                 alpha: float = 0.6) -> np.ndarray:
    """Blend ``colour`` over the pixels where ``mask`` is non-zero
    (e.g. BANA's definite-background mask); other pixels keep the image."""
    mask = np.asarray(mask).astype(bool)
    if mask.shape != image.shape[:2]:
        raise ValueError(f'mask {mask.shape} and image {image.shape[:2]} '
                         'sizes differ')
    out = image.astype(np.float32)
    out[mask] = (1 - alpha) * out[mask] + alpha * np.asarray(
        colour, np.float32)
    return out.astype(np.uint8)
