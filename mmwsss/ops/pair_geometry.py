"""Pixel-pair geometry of the learned random walk: search directions, the
pair set of AffinityNet and its radius rule for small grids.

AffinityNet / PSA: Ahn and Kwak, "Learning Pixel-level Semantic Affinity
with Image-level Supervision for Weakly Supervised Semantic Segmentation",
CVPR 2018, arXiv:1803.10464; official code https://github.com/jiwoon-ahn/psa
(``tool/pyutils.get_indices_of_pairs``). The radius rule for grids smaller
than 11 cells is AEFT's and hfpl's (their ``resnet38_aff.py``).

Directions D_r: (0, 1) ... (0, r - 1), then for dy = 1 ... r - 1 every dx in
-(r - 1) ... r - 1 with dy^2 + dx^2 < r^2 (|D_5| = 34). Cells of an h x w
grid are numbered row-major, n = y * w + x. Sources are the cells of rows
0 ... h - r and columns r - 1 ... w - r; every pair is (source, source +
delta) with dy >= 0, so each unordered pair appears once, and cells outside
that region that no source reaches stay isolated (10 cells on every grid
with h >= 5, w >= 9 for r = 5).
"""
from typing import List, Tuple

import numpy as np


def search_directions(radius: int) -> List[Tuple[int, int]]:
    """The directions D_r as (dy, dx), in the official order."""
    if radius < 1:
        raise ValueError(f'radius must be >= 1, got {radius}')
    dirs = [(0, dx) for dx in range(1, radius)]
    for dy in range(1, radius):
        for dx in range(-radius + 1, radius):
            if dy * dy + dx * dx < radius * radius:
                dirs.append((dy, dx))
    return dirs


def aeft_radius(grid: Tuple[int, int]) -> int:
    """AEFT / hfpl radius: (m - 1) // 2 when m = min(h, w) < 11, else 5."""
    m = min(grid)
    radius = (m - 1) // 2 if m < 11 else 5
    if radius < 2:  # D_1 is empty: no pair at all
        raise ValueError(
            f'A {grid[0]}x{grid[1]} affinity grid is too small for the '
            'random walk (min side must be >= 5 cells, i.e. images of at '
            'least 40 pixels at stride 8).')
    return radius


def psa_pair_indices(radius: int,
                     grid: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
    """PSA's pairs on an h x w grid.

    Args:
        radius (int): r.
        grid (tuple[int, int]): (h, w) in cells.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``ind_from`` (n_src,) the sources,
        row-major; ``ind_to`` (|D_r| * n_src,) direction-major:
        ``ind_to[d * n_src + s]`` is source s moved by D_r[d]. int64.
    """
    h, w = grid
    if h < radius or w < 2 * radius - 1:
        raise ValueError(
            f'radius {radius} needs a grid of at least {radius} x '
            f'{2 * radius - 1} cells, got {h} x {w}')
    ys, xs = np.meshgrid(
        np.arange(0, h - radius + 1),
        np.arange(radius - 1, w - radius + 1),
        indexing='ij')
    ys, xs = ys.reshape(-1), xs.reshape(-1)
    ind_from = ys * w + xs
    ind_to = np.concatenate([(ys + dy) * w + (xs + dx)
                             for dy, dx in search_directions(radius)])
    return ind_from.astype(np.int64), ind_to.astype(np.int64)


def pair_endpoints(ind_from: np.ndarray,
                   ind_to: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(i, j) of every pair, aligned with the direction-major ``ind_to``
    (and with affinities of shape (|D|, n_src) flattened)."""
    reps = len(ind_to) // len(ind_from)
    return np.tile(ind_from, reps), ind_to
