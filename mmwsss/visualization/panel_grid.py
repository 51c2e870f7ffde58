"""A grid of result panels, one row per image: image | CAM | pseudo label |
prediction | ground truth, with a class-colour legend."""
from typing import Dict, List, Sequence

import numpy as np

from mmwsss.fileio import IGNORE_INDEX, voc_palette
from .legend import with_background
from .matplotlib_figures import new_figure, save_figure
from .panels import cam_overlay, label_overlay

#: (row key, column title), in column order
COLUMNS = (('image', 'image'), ('cam', 'CAM (max over classes)'),
           ('pseudo', 'pseudo label'), ('pred', 'prediction'),
           ('gt', 'ground truth'))
LABEL_KEYS = ('pseudo', 'pred', 'gt')
TILE_INCHES = 2.4


def _tile(row: dict, key: str) -> np.ndarray:
    image = row['image']
    if key == 'image':
        return image
    if key == 'cam':
        return cam_overlay(image, np.asarray(row['cam'], np.float32))
    return label_overlay(image, np.asarray(row[key]))


def _legend_handles(rows: Sequence[dict], names: List[str]) -> list:
    from matplotlib.patches import Patch
    values = set()
    for row in rows:
        for key in LABEL_KEYS:
            if row.get(key) is not None:
                values |= set(np.unique(row[key]).tolist())
    palette = voc_palette()
    handles = []
    for value in sorted(int(v) for v in values if v != 0):
        if value == IGNORE_INDEX:
            handles.append(
                Patch(facecolor='white', edgecolor='black', label='ignore'))
            continue
        name = names[value] if value < len(names) else str(value)
        handles.append(
            Patch(facecolor=palette[value] / 255.0, edgecolor='black',
                  label=name))
    return handles


def plot_panel_grid(path: str,
                    rows: Sequence[Dict],
                    classes: Sequence[str],
                    title: str = '') -> None:
    """Draw one row per image and write a PNG.

    A column is drawn when at least one row has it; a row without it gets
    a grey tile marked "missing". Label maps are blended over the image in
    the VOC palette (background keeps the image, ignored pixels white) and
    the legend names every class they show.

    Args:
        path (str): the PNG to write.
        rows (Sequence[dict]): ``id`` (str), ``image`` uint8 (H, W, 3) RGB,
            and optionally ``cam`` float (H, W) in [0, 1] and label maps
            ``pseudo``, ``pred``, ``gt`` (H, W) with 0 background,
            c + 1 for class c, 255 ignored.
        classes (Sequence[str]): class names, background first or
            foreground only (see :func:`with_background`).
        title (str): the figure title.
    """
    if not rows:
        raise ValueError('no images to draw')
    columns = [(key, name) for key, name in COLUMNS
               if any(row.get(key) is not None for row in rows)]
    names = with_background(classes)
    handles = _legend_handles(rows, names)
    legend_rows = -(-len(handles) // 6) if handles else 0
    fig = new_figure(
        max(6.0, TILE_INCHES * len(columns)),
        TILE_INCHES * len(rows) + 0.4 * legend_rows + (0.4 if title else 0))
    axes = fig.subplots(len(rows), len(columns), squeeze=False)
    for r, row in enumerate(rows):
        for c, (key, name) in enumerate(columns):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if row.get(key) is None:
                ax.set_facecolor('0.85')
                ax.text(0.5, 0.5, 'missing', ha='center', va='center',
                        transform=ax.transAxes, fontsize=11)
            else:
                ax.imshow(_tile(row, key), interpolation='nearest')
            if r == 0:
                ax.set_title(name, fontsize=12)
            if c == 0:
                ax.set_ylabel(str(row['id']), fontsize=11)
    if handles:
        fig.legend(handles=handles, loc='outside lower center',
                   ncols=min(6, len(handles)), fontsize=11, frameon=False)
    if title:
        fig.suptitle(title, fontsize=13)
    save_figure(fig, path)
