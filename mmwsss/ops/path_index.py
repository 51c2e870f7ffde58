"""IRN's pixel pairs with the cells on the segment between them, the
affinities of those pairs from a class-boundary map, and their training
labels.

IRN: Ahn, Cho and Kwak, "Weakly Supervised Learning of Instance
Segmentation with Inter-pixel Relations", CVPR 2019, arXiv:1904.05044;
official code https://github.com/jiwoon-ahn/irn (``misc/indexing.py``,
``voc12/dataloader.GetAffinityLabelFromIndices``).

Directions are the D_r of AffinityNet: (0, 1) ... (0, r - 1), then for
dy = 1 ... r - 1 every dx in -(r - 1) ... r - 1 with dy^2 + dx^2 < r^2. The
path of delta = (dy, dx) is every cell (y, x) of the box spanned by (0, 0)
and delta whose distance to the line through them is below one,

    (dy * x - dx * y)^2 / (dy^2 + dx^2) < 1,

ordered by decreasing |y| + |x| (stable), so entry 0 is delta itself and
the last entry (0, 0). Directions are then grouped by path length,
ascending, keeping the D_r order inside a group (r = 5: 9 groups of 2, 2,
4, 2, 4, 2, 8, 6, 4 directions; r = 10: 20 groups, 152 directions); every
array indexed by direction uses this grouped order.

With rf = r - 1, the sources of an h x w grid are the cells of rows
0 ... h - 1 - rf and columns rf ... w - 1 - rf (row-major, flat index
y * w + x); border cells outside that region are sources of no pair.
"""
from typing import Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from .pair_geometry import search_directions


def direction_path(dy: int, dx: int) -> np.ndarray:
    """(L, 2) int64 offsets of the path of (dy, dx), far end first."""
    length_sq = dy * dy + dx * dx
    cells = [(y, x) for y in range(min(0, dy), max(0, dy) + 1)
             for x in range(min(0, dx), max(0, dx) + 1)
             if (dy * x - dx * y)**2 < length_sq]
    cells.sort(key=lambda c: -(abs(c[0]) + abs(c[1])))  # stable
    return np.asarray(cells, np.int64).reshape(-1, 2)


class PathIndex:
    """IRN's pair and path indices on an h x w grid (see the module doc).

    Args:
        radius (int): r (IRN trains with 10, walks with 5).
        grid (tuple[int, int]): (h, w) in cells; h >= r and w >= 2r - 1.

    Attributes:
        radius (int), grid (tuple), radius_floor (int): r - 1.
        search_paths (list[np.ndarray]): per group, (n_g, L_g, 2) int64
            offsets (dy, dx) of each direction's path.
        search_dst (np.ndarray): (n_dirs, 2) int64 (dy, dx), grouped order.
        path_indices (list[np.ndarray]): per group, (n_g, L_g, n_src) int64
            flat indices of source + offset; [:, 0] the destination, [:, -1]
            the source.
        src_indices (np.ndarray): (n_src,) int64.
        dst_indices (np.ndarray): (n_dirs, n_src) int64.
        num_dirs (int): n_dirs.
    """

    def __init__(self, radius: int, grid: Tuple[int, int]) -> None:
        if isinstance(radius, bool) or int(radius) != radius or radius < 2:
            raise ValueError(
                f'radius must be an integer >= 2, got {radius!r}')
        radius = int(radius)
        height, width = (int(v) for v in grid)
        rf = radius - 1
        if height - rf < 1 or width - 2 * rf < 1:
            raise ValueError(
                f'PathIndex of radius {radius} needs a grid of at least '
                f'{radius} x {2 * radius - 1} cells, got {height} x {width}: '
                'use larger crops / images or a smaller radius')
        self.radius = radius
        self.radius_floor = rf
        self.grid = (height, width)
        groups = {}
        for dy, dx in search_directions(radius):
            path = direction_path(dy, dx)
            groups.setdefault(len(path), []).append(path)
        self.search_paths = [np.stack(groups[n]) for n in sorted(groups)]
        self.search_dst = np.concatenate(
            [p[:, 0] for p in self.search_paths]).astype(np.int64)
        self.num_dirs = len(self.search_dst)
        ys, xs = np.meshgrid(
            np.arange(height - rf), np.arange(rf, width - rf), indexing='ij')
        ys, xs = ys.reshape(-1), xs.reshape(-1)
        self.src_indices = (ys * width + xs).astype(np.int64)
        self.path_indices = [
            ((ys + p[..., :1]) * width + xs + p[..., 1:]).astype(np.int64)
            for p in self.search_paths
        ]
        self.dst_indices = np.concatenate(
            [p[:, 0] for p in self.path_indices])
        self._tensors = {}

    @property
    def num_sources(self) -> int:
        return len(self.src_indices)

    def tensors(self, device=None) -> dict:
        """``path_indices`` (list), ``src_indices``, ``dst_indices`` and
        ``search_dst`` as int64 tensors on ``device``, converted once per
        device (the official loss keeps them as buffers)."""
        device = torch.device(device if device is not None else 'cpu')
        cache = self._tensors
        if str(device) not in cache:
            def convert(array):
                return torch.from_numpy(array).to(device)

            cache[str(device)] = dict(
                path_indices=[convert(p) for p in self.path_indices],
                src_indices=convert(self.src_indices),
                dst_indices=convert(self.dst_indices),
                search_dst=convert(self.search_dst))
        return cache[str(device)]

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(radius={self.radius}, '
                f'grid={self.grid}, num_dirs={self.num_dirs}, '
                f'num_sources={self.num_sources})')


def edge_to_affinity(edge: Tensor,
                     path_indices: Sequence[Union[np.ndarray, Tensor]]
                     ) -> Tensor:
    """a = 1 - max over the path of the boundary values.

    Args:
        edge (Tensor): (B, h * w) or (B, 1, h, w) boundary probabilities
            (the caller applies the sigmoid to the logits).
        path_indices (list): :attr:`PathIndex.path_indices` of the grid
            (numpy arrays, or tensors from :meth:`PathIndex.tensors` to
            avoid a copy per call; not modified).

    Returns:
        Tensor: (B, n_dirs, n_src), groups concatenated in order. The
        gradient of the max goes to the first maximal cell of each path.
    """
    edge = edge.reshape(edge.shape[0], -1)
    out = []
    for ind in path_indices:
        if isinstance(ind, np.ndarray) and ind.size and \
                ind.max() >= edge.shape[1]:
            raise ValueError(
                f'path indices reach cell {ind.max()} but the edge map has '
                f'{edge.shape[1]} cells: build the PathIndex on the grid of '
                'the edge map')
        ind = torch.as_tensor(ind, dtype=torch.int64, device=edge.device)
        values = edge[:, ind.reshape(-1)].reshape(edge.shape[0], *ind.shape)
        out.append(1 - values.max(dim=2).values)
    return torch.cat(out, dim=1)


def path_pair_labels(label: np.ndarray, path_index: PathIndex,
                     num_classes: int
                     ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IRN's pair labels of a reduced label map.

    With f = label[src], t = label[dst] and valid = f < C and t < C
    (C = ``num_classes`` including background, 21 on VOC; 255 = ignore):

        bg_pos = (f = t) and valid and f = 0
        fg_pos = (f = t) and valid and f > 0
        neg    = (f != t) and valid

    Args:
        label (np.ndarray): (h, w) integer label map on the PathIndex grid.
        path_index (PathIndex): pairs of that grid.
        num_classes (int): C.

    Returns:
        tuple[np.ndarray, np.ndarray, np.ndarray]: bg_pos, fg_pos, neg,
        float32 (n_dirs, n_src) in the grouped direction order.
    """
    label = np.asarray(label)
    if label.shape != path_index.grid:
        raise ValueError(
            f'label of shape {label.shape} but the PathIndex grid is '
            f'{path_index.grid}: reduce the label to the network output '
            'grid (stride 4) first')
    if num_classes < 1:
        raise ValueError(f'num_classes must be >= 1, got {num_classes}')
    flat = label.reshape(-1).astype(np.int64)
    src = flat[path_index.src_indices][None]
    dst = flat[path_index.dst_indices]
    valid = (src < num_classes) & (dst < num_classes)
    same = (src == dst) & valid
    bg_pos = same & (src == 0)
    fg_pos = same & (src > 0)
    neg = (src != dst) & valid
    return (bg_pos.astype(np.float32), fg_pos.astype(np.float32),
            neg.astype(np.float32))


__all__ = [
    'PathIndex', 'direction_path', 'edge_to_affinity', 'path_pair_labels'
]
