"""Which pixel pairs AffinityNet scores, and with which radius.

AffinityNet / PSA: Ahn and Kwak, "Learning Pixel-level Semantic Affinity
with Image-level Supervision for Weakly Supervised Semantic Segmentation",
CVPR 2018, arXiv:1803.10464, https://github.com/jiwoon-ahn/psa. Its pairs
(``pair_set='psa'``, see :func:`mmwsss.ops.psa_pair_indices`) start only at
cells away from the left, right and bottom borders; ``pair_set='full'`` is
the clean alternative: every cell is a source and every in-grid pair
(i, i + delta), delta in D_r, exists once.

Radius rules (``radius_rule``):

- ``'psa'``: always ``radius``; the psa pair set needs a grid of at least
  r x (2r - 1) cells (a clear error otherwise);
- ``'aeft'``: AEFT's / hfpl's rule for small grids (ECCV 2022,
  https://github.com/KAIST-vilab/AEFT; WACV 2024, arXiv:2304.02621,
  https://github.com/arvijj/hfpl): r = min(radius, (m - 1) // 2) with
  m = min(h, w), which for radius 5 is (m - 1) // 2 if m < 11 else 5;
- ``'fixed'``: always ``radius``, meant for ``pair_set='full'``, where any
  grid works (pairs leaving the grid are simply absent).
"""
from typing import Optional, Tuple

import numpy as np

from .pair_geometry import psa_pair_indices, search_directions

RADIUS_RULES = ('psa', 'aeft', 'fixed')
PAIR_SETS = ('psa', 'full')


def check_pair_options(radius: int, radius_rule: str, pair_set: str) -> None:
    """Raise a ValueError for an unknown rule / pair set or a radius < 2."""
    if radius_rule not in RADIUS_RULES:
        raise ValueError(f'radius_rule must be one of {RADIUS_RULES}, got '
                         f'{radius_rule!r}')
    if pair_set not in PAIR_SETS:
        raise ValueError(
            f'pair_set must be one of {PAIR_SETS}, got {pair_set!r}')
    if int(radius) != radius or radius < 2:
        raise ValueError(f'radius must be an integer >= 2, got {radius}')


def resolve_radius(grid: Tuple[int, int],
                   radius: int = 5,
                   radius_rule: str = 'psa',
                   pair_set: str = 'psa') -> int:
    """The pair radius on an (h, w) grid under ``radius_rule``.

    Raises:
        ValueError: the grid is too small for the rule and pair set; the
            message names the switches that make it work.
    """
    check_pair_options(radius, radius_rule, pair_set)
    h, w = (int(s) for s in grid)
    radius = int(radius)
    if radius_rule == 'aeft':
        radius = min(radius, (min(h, w) - 1) // 2)
        if radius < 2:
            raise ValueError(
                f'A {h}x{w} affinity grid is too small for AEFT\'s radius '
                'rule (min side must be >= 5 cells, i.e. images of at least '
                '40 pixels at stride 8). Fix: use larger images or crops, or '
                "radius_rule='fixed' with pair_set='full'.")
        return radius
    if pair_set == 'psa' and (h < radius or w < 2 * radius - 1):
        raise ValueError(
            f'The psa pair set with radius {radius} needs a grid of at least '
            f'{radius}x{2 * radius - 1} cells, got {h}x{w}. Fix: use larger '
            "images or crops, radius_rule='aeft' (shrink the radius on small "
            "grids, as AEFT and hfpl do) or radius_rule='fixed' with "
            "pair_set='full'.")
    return radius


def full_pair_indices(
        radius: int,
        grid: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every in-grid pair within the radius, in the layout of psa's pairs.

    Sources are all h * w cells; ``ind_to[d * n + s]`` is cell s moved by
    D_r[d] when that stays in the grid, else s itself with ``valid`` False.

    Returns:
        tuple: ``ind_from`` (n,), ``ind_to`` (|D_r| * n,) int64 and
        ``valid`` (|D_r| * n,) bool.
    """
    h, w = grid
    ys, xs = np.meshgrid(np.arange(h), np.arange(w), indexing='ij')
    ys, xs = ys.reshape(-1), xs.reshape(-1)
    ind_from = (ys * w + xs).astype(np.int64)
    ind_to, valid = [], []
    for dy, dx in search_directions(radius):
        ty, tx = ys + dy, xs + dx
        inside = (ty < h) & (tx >= 0) & (tx < w)
        ind_to.append(np.where(inside, ty * w + tx, ind_from))
        valid.append(inside)
    return (ind_from, np.concatenate(ind_to).astype(np.int64),
            np.concatenate(valid))


def pair_indices(
    radius: int,
    grid: Tuple[int, int],
    pair_set: str = 'psa'
) -> Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
    """``ind_from``, direction-major ``ind_to`` and ``valid`` (None for
    the psa set, where every listed pair exists)."""
    if pair_set == 'psa':
        return (*psa_pair_indices(radius, grid), None)
    if pair_set == 'full':
        return full_pair_indices(radius, grid)
    raise ValueError(
        f'pair_set must be one of {PAIR_SETS}, got {pair_set!r}')
