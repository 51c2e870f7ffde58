"""Per-class IoU of several pipeline stages as grouped bars."""
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np

from .legend import BACKGROUND_NAMES
from .matplotlib_figures import new_figure, save_figure


def _class_order(series: Mapping[str, Mapping[str, float]],
                 classes: Sequence[str] = ()) -> List[str]:
    """``classes``, then the other class names in first-seen order,
    background spellings merged."""
    names: List[str] = []
    for per_class in [dict.fromkeys(classes), *series.values()]:
        for name in per_class:
            key = _key(name)
            if key not in names:
                names.append(key)
    return names


def _key(name: str) -> str:
    return 'background' if name.lower() in BACKGROUND_NAMES else name


def plot_class_iou_bars(path: str,
                        series: Dict[str, Mapping[str, float]],
                        classes: Optional[Sequence[str]] = None,
                        title: str = 'IoU per class') -> None:
    """One group of bars per class, one bar per series (a stage), the
    series' mean over classes in its legend entry; write a PNG.

    Args:
        path (str): the PNG to write.
        series (dict): series name (e.g. ``'cams'``, ``'segment single'``)
            -> {class name: IoU in %}. None or NaN (a class neither present
            nor predicted) draws no bar; classes missing from a series too.
        classes (Sequence[str], optional): the class order (e.g. the
            dataset's); other classes follow in first-seen order.
        title (str): the figure title.
    """
    series = {k: v for k, v in series.items() if v}
    if not series:
        raise ValueError('no per-class IoU to plot')
    classes = _class_order(series, classes or ())
    values = np.full((len(series), len(classes)), np.nan)
    for row, per_class in enumerate(series.values()):
        for name, value in per_class.items():
            if value is not None:
                values[row, classes.index(_key(name))] = float(value)
    count = len(series)
    width = 0.8 / count
    fig = new_figure(
        min(40.0, max(8.0, len(classes) * (0.5 + 0.22 * count))), 5)
    ax = fig.add_subplot()
    x = np.arange(len(classes))
    colours = [f'C{i % 10}' for i in range(count)]
    for row, name in enumerate(series):
        mean = np.nanmean(values[row]) if np.isfinite(
            values[row]).any() else float('nan')
        ax.bar(x - 0.4 + width * (row + 0.5), np.nan_to_num(values[row]),
               width, color=colours[row],
               label=f'{name} (mIoU {mean:.1f})')
    slanted = len(classes) > 4
    ax.set_xticks(x, classes, rotation=30 if slanted else 0,
                  ha='right' if slanted else 'center', fontsize=11)
    ax.set_ylabel('IoU (%)', fontsize=12)
    ax.set_ylim(0, 100)
    ax.set_title(title, fontsize=13)
    ax.grid(axis='y', alpha=0.3)
    ax.legend(fontsize=10, loc='upper left', bbox_to_anchor=(1.0, 1.0))
    save_figure(fig, path)
