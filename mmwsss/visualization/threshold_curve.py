"""The CAM background-threshold curve: seed mIoU against the constant
background score τ."""
from typing import Optional, Sequence, Tuple

import numpy as np

from .matplotlib_figures import new_figure, save_figure


def _values(values: Sequence) -> np.ndarray:
    """Floats with None (a NaN in JSON) as NaN."""
    return np.array([np.nan if v is None else float(v) for v in values])


def plot_threshold_curve(path: str,
                         thresholds: Sequence[float],
                         miou: Sequence[float],
                         best: Optional[Tuple[float, float]] = None,
                         fixed: Optional[Tuple[float, float]] = None,
                         fscore: Optional[Sequence[float]] = None,
                         title: str = 'CAM background threshold') -> None:
    """Plot mIoU (and the contour F, when given) against τ and write a PNG.

    The seed of a background score τ is ``argmax([τ, CAM_1, ..., CAM_K])``
    (the sweep of :class:`~mmwsss.evaluation.CAMMetric`); the best τ (chosen
    with the ground truth) and the GT-free fixed τ are marked with dashed
    and dotted lines and their mIoU written beside them.

    Args:
        path (str): the PNG to write.
        thresholds (Sequence[float]): the swept τ values.
        miou (Sequence[float]): mIoU (%) at each τ; None for NaN.
        best (tuple, optional): (τ, mIoU) of the best τ of the sweep.
        fixed (tuple, optional): (τ, mIoU) of the fixed (GT-free) τ.
        fscore (Sequence[float], optional): contour F (%) at each τ.
        title (str): the figure title.
    """
    taus, miou = _values(thresholds), _values(miou)
    if taus.size == 0 or taus.size != miou.size:
        raise ValueError(f'need one mIoU per threshold, got {taus.size} '
                         f'thresholds and {miou.size} values')
    fig = new_figure(7, 4.5)
    ax = fig.add_subplot()
    ax.plot(taus, miou, 'o-', color='tab:blue', label='mIoU')
    if fscore is not None:
        ax.plot(taus, _values(fscore), 's--', color='tab:green',
                label='contour F', markersize=4)
    marks = [(best, 'best', '--', 'tab:red'),
             (fixed, 'fixed', ':', 'tab:purple')]
    for mark, name, style, colour in marks:
        if mark is None:
            continue
        tau, value = mark
        text = f'{name} τ={tau:g}' + ('' if value is None else
                                      f': mIoU {value:.1f}')
        ax.axvline(tau, linestyle=style, color=colour, label=text)
    ax.set_xlabel('background threshold τ', fontsize=12)
    ax.set_ylabel('score (%)', fontsize=12)
    ax.set_title(title, fontsize=13)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=10)
    save_figure(fig, path)
