"""A colour legend for label maps drawn with the VOC palette."""
from typing import Iterable, Optional, Sequence

import numpy as np
from PIL import Image, ImageDraw

from mmwsss.fileio import IGNORE_INDEX, voc_palette

ROW = 14  # pixels per legend entry
SWATCH = 10
#: the names a background class goes by in mmseg / mmpretrain metadata
BACKGROUND_NAMES = ('background', 'bg', '_background_')


def with_background(classes: Sequence[str]) -> list:
    """Names of label values 0, 1, ...: ``classes`` when it already starts
    with a background entry (mmseg datasets), else ``'background'`` +
    ``classes`` (mmpretrain-style foreground classes, label = index + 1)."""
    classes = list(classes)
    if classes and classes[0].lower() in BACKGROUND_NAMES:
        return classes
    return ['background'] + classes


def label_legend(values: Iterable[int],
                 names: Sequence[str],
                 min_width: int = 0,
                 ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """One line per label value: its VOC-palette swatch and its name
    (``ignore_index`` is white, named ``'ignore'``), in value order.

    Args:
        values (Iterable[int]): label values to list (repeats dropped).
        names (Sequence[str]): name of label value v at index v, background
            first (see :func:`with_background`); values beyond it are shown
            as numbers.
        min_width (int): pad the legend to at least this width. Default: 0.
        ignore_index (int): the ignore value. Default: 255.

    Returns:
        np.ndarray: uint8 (14 · n, W, 3) RGB on white.
    """
    values = sorted({int(v) for v in values})
    palette = voc_palette()
    labels = [
        'ignore' if v == ignore_index else
        (names[v] if 0 <= v < len(names) else str(v)) for v in values
    ]
    probe = ImageDraw.Draw(Image.new('RGB', (1, 1)))
    text_w = max([probe.textbbox((0, 0), s)[2] for s in labels] + [0])
    width = max(min_width, SWATCH + 8 + text_w)
    canvas = Image.new('RGB', (width, max(1, ROW * len(values))),
                       (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for row, (value, label) in enumerate(zip(values, labels)):
        colour = (255, 255, 255) if value == ignore_index else tuple(
            int(c) for c in palette[value % 256])
        top = row * ROW + 2
        draw.rectangle([2, top, 2 + SWATCH - 1, top + SWATCH - 1],
                       fill=colour, outline=(0, 0, 0))
        draw.text((SWATCH + 6, top - 1), label, fill=(0, 0, 0))
    return np.asarray(canvas)


def present_values(label: np.ndarray,
                   extra: Optional[Iterable[int]] = None) -> list:
    """Sorted label values occurring in ``label`` (plus ``extra``)."""
    found = set(np.unique(label).tolist()) | set(extra or ())
    return sorted(int(v) for v in found)
