"""IRN's training loss: inter-pixel affinities from the class-boundary map
and pair displacements from the displacement field, against pair labels."""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from mmwsss.ops.path_index import PathIndex, edge_to_affinity
from mmwsss.registry import MODELS


def pair_displacement(displacement: Tensor,
                      path_index: PathIndex) -> Tensor:
    """dp[src] - dp[dst] of every pair: (B, 2, n_dirs, n_src) from a
    (B, 2, h, w) field on the PathIndex grid (channel 0 = y, 1 = x)."""
    flat = displacement.flatten(2)
    index = path_index.tensors(flat.device)
    return (flat[:, :, index['src_indices']].unsqueeze(2) -
            flat[:, :, index['dst_indices']])


def affinity_displacement_terms(edge_logits: Tensor,
                                displacement: Tensor,
                                bg_pos: Tensor,
                                fg_pos: Tensor,
                                neg: Tensor,
                                path_index: PathIndex,
                                eps: float = 1e-5) -> Dict[str, Tensor]:
    """Every piece of IRN's loss on plain tensors (see
    :class:`AffinityDisplacementLoss` for the equations).

    Args:
        edge_logits (Tensor): (B, 1, h, w) boundary logits.
        displacement (Tensor): (B, 2, h, w) displacement field (y, x).
        bg_pos, fg_pos, neg (Tensor): (B, n_dirs, n_src) 0/1 pair labels.
        path_index (PathIndex): pairs of the (h, w) grid (IRN radius 10).
        eps (float): Default: 1e-5.

    Returns:
        dict: ``affinity`` (B, n_dirs, n_src); ``pair_disp`` (B, 2, n_dirs,
        n_src); ``target`` (1, 2, n_dirs, 1) = (dy, dx) of each direction;
        the terms ``aff_bg_pos``, ``aff_fg_pos``, ``aff_pos``, ``aff_neg``,
        ``dp_fg``, ``dp_bg``; the counts ``count_bg_pos``, ``count_fg_pos``,
        ``count_neg`` (no gradient); ``loss`` the total.
    """
    if edge_logits.dim() != 4 or edge_logits.shape[1] != 1:
        raise ValueError(f'edge logits of shape {tuple(edge_logits.shape)}:'
                         ' need (B, 1, h, w)')
    grid = tuple(edge_logits.shape[2:])
    if displacement.shape != (edge_logits.shape[0], 2, *grid):
        raise ValueError(
            f'displacement of shape {tuple(displacement.shape)} does not '
            f'match edge logits of shape {tuple(edge_logits.shape)}: need '
            '(B, 2, h, w) on the same grid')
    if path_index.grid != grid:
        raise ValueError(f'PathIndex grid {path_index.grid} but the network '
                         f'output is {grid}')
    expected = (edge_logits.shape[0], path_index.num_dirs,
                path_index.num_sources)
    for name, label in (('bg_pos', bg_pos), ('fg_pos', fg_pos),
                        ('neg', neg)):
        if tuple(label.shape) != expected:
            raise ValueError(
                f'{name} has shape {tuple(label.shape)} but the radius '
                f'{path_index.radius} pairs of the {grid[0]}x{grid[1]} '
                f'output grid need {expected}: build the pair labels with '
                'the same radius on labels reduced to the output grid')
    dtype = edge_logits.dtype
    bg_pos, fg_pos, neg = (t.to(dtype) for t in (bg_pos, fg_pos, neg))
    index = path_index.tensors(edge_logits.device)
    affinity = edge_to_affinity(torch.sigmoid(edge_logits),
                                index['path_indices'])
    pos_log = -torch.log(affinity + eps)
    neg_log = -torch.log(1 + eps - affinity)
    pair_disp = pair_displacement(displacement, path_index)
    target = index['search_dst'].t().to(pair_disp.dtype)[None, :, :, None]
    n_bg, n_fg, n_neg = bg_pos.sum(), fg_pos.sum(), neg.sum()
    aff_bg_pos = (bg_pos * pos_log).sum() / (n_bg + eps)
    aff_fg_pos = (fg_pos * pos_log).sum() / (n_fg + eps)
    aff_pos = aff_bg_pos / 2 + aff_fg_pos / 2
    aff_neg = (neg * neg_log).sum() / (n_neg + eps)
    dp_fg = ((pair_disp - target).abs() * fg_pos[:, None]).sum() / (
        2 * n_fg + eps)
    dp_bg = (pair_disp.abs() * bg_pos[:, None]).sum() / (2 * n_bg + eps)
    total = (aff_pos + aff_neg) / 2 + (dp_fg + dp_bg) / 2
    return dict(
        affinity=affinity,
        pair_disp=pair_disp,
        target=target,
        aff_bg_pos=aff_bg_pos,
        aff_fg_pos=aff_fg_pos,
        aff_pos=aff_pos,
        aff_neg=aff_neg,
        dp_fg=dp_fg,
        dp_bg=dp_bg,
        count_bg_pos=n_bg.detach(),
        count_fg_pos=n_fg.detach(),
        count_neg=n_neg.detach(),
        loss=total)


@MODELS.register_module()
class AffinityDisplacementLoss(nn.Module):
    """IRN's affinity and displacement loss (Ahn, Cho and Kwak, "Weakly
    Supervised Learning of Instance Segmentation with Inter-pixel
    Relations", CVPR 2019, arXiv:1904.05044;
    https://github.com/jiwoon-ahn/irn ``net/resnet50_irn.py``,
    ``step/train_irn.py``; RIB trains with the same loss).

    On the pairs of :class:`~mmwsss.ops.PathIndex` (radius r, IRN 10) of
    the output grid, with B = sigmoid(edge logits) and dp the displacement
    field, over the whole batch:

        a_ij    = 1 - max_{k in path(i, j)} B_k
        L_bgpos = sum bg_pos * -log(a + eps) / (sum bg_pos + eps)
        L_fgpos = sum fg_pos * -log(a + eps) / (sum fg_pos + eps)
        L_pos   = L_bgpos / 2 + L_fgpos / 2
        L_neg   = sum neg * -log(1 + eps - a) / (sum neg + eps)
        L_dfg   = sum_ch sum fg_pos * |dp_i - dp_j - (dy, dx)|
                  / (2 sum fg_pos + eps)
        L_dbg   = sum_ch sum bg_pos * |dp_i - dp_j| / (2 sum bg_pos + eps)
        L       = (L_pos + L_neg) / 2 + (L_dfg + L_dbg) / 2

    with j = i + (dy, dx). An empty label set contributes 0.

    Returns a dict: the total under ``'loss'`` and, for logging, the terms
    ``aff_bg_pos``, ``aff_fg_pos``, ``aff_pos``, ``aff_neg``, ``dp_fg``,
    ``dp_bg`` and the counts ``count_bg_pos``, ``count_fg_pos``,
    ``count_neg``; these names avoid the substring ``loss`` so mmengine
    does not add them to the total (a model should log them detached).
    The intermediates are in :func:`affinity_displacement_terms`.

    Args:
        radius (int): pair radius. Default: 10.
        crop_size (tuple[int, int], optional): the output grid (cells, IRN
            128 x 128 for 512 crops at stride 4) whose PathIndex is built
            at construction; any other grid is built on first use and
            cached. Default: (128, 128).
        eps (float): Default: 1e-5.
    """

    def __init__(self,
                 radius: int = 10,
                 crop_size: Optional[Tuple[int, int]] = (128, 128),
                 eps: float = 1e-5) -> None:
        super().__init__()
        if not eps >= 0:
            raise ValueError(f'eps must be >= 0, got {eps}')
        self.radius = int(radius)
        self.eps = float(eps)
        self._path_indices = {}
        if crop_size is not None:
            self.path_index(tuple(crop_size))
        elif self.radius < 2:
            raise ValueError(f'radius must be >= 2, got {radius}')

    def path_index(self, grid: Tuple[int, int]) -> PathIndex:
        """The (cached) PathIndex of an (h, w) output grid."""
        grid = tuple(int(v) for v in grid)
        if grid not in self._path_indices:
            self._path_indices[grid] = PathIndex(self.radius, grid)
        return self._path_indices[grid]

    def forward(self, edge_logits: Tensor, displacement: Tensor,
                bg_pos: Tensor, fg_pos: Tensor,
                neg: Tensor) -> Dict[str, Tensor]:
        """Args: ``edge_logits`` (B, 1, h, w), ``displacement``
        (B, 2, h, w), pair labels (B, n_dirs, n_src) of the (h, w) grid."""
        path_index = self.path_index(edge_logits.shape[-2:])
        out = affinity_displacement_terms(edge_logits, displacement, bg_pos,
                                          fg_pos, neg, path_index, self.eps)
        for key in ('affinity', 'pair_disp', 'target'):
            out.pop(key)
        return out

    def extra_repr(self) -> str:
        return f'radius={self.radius}, eps={self.eps}'
