"""Matplotlib figures without pyplot: made and saved with the Agg canvas
(no display, no global backend switch), and whether a window can be
shown at all."""
import io
import os
import sys

from mmwsss.utils.atomic_io import atomic_write


def new_figure(width: float, height: float):
    """A matplotlib ``Figure`` of ``width`` x ``height`` inches on an Agg
    canvas (it never opens a window, whatever the backend)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), layout='constrained')
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig, path: str, dpi: int = 100) -> None:
    """Write ``fig`` as a PNG at ``path``, atomically (folders are
    created)."""
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=dpi, facecolor='white')
    atomic_write(path, buf.getvalue())


def display_available() -> bool:
    """Whether matplotlib can open a window: not with ``MPLBACKEND=Agg``
    (or another file-only backend), and on Linux only with an X11 or
    Wayland display (``DISPLAY`` / ``WAYLAND_DISPLAY`` set)."""
    backend = os.environ.get('MPLBACKEND', '').lower()
    if backend in ('agg', 'pdf', 'ps', 'svg', 'cairo', 'template'):
        return False
    if sys.platform.startswith('linux'):
        return bool(
            os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY'))
    return True
