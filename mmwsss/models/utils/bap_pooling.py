"""Background-aware pooling (BAP) as plain tensor functions: BANA stage 1.

Oh et al., "Background-Aware Pooling and Noise-Aware Loss for
Weakly-Supervised Semantic Segmentation", CVPR 2021, arXiv:2104.00905, with
the conventions of the official code (https://github.com/cvlab-yonsei/BANA).

The pieces are plain tensor functions so they can be
checked on their own with weights given as plain tensors:

- :func:`grid_bg_queries` (with :func:`~mmwsss.ops.grid_padding`): (a)
  background queries of an N×N grid and the validity of each cell;
- :func:`roi_sample` (of boxes from :func:`~mmwsss.ops.normalize_boxes`),
  :func:`background_attention`, :func:`bin_pool`, :func:`bap_pool_boxes`:
  (b) per-box RoI sampling, background attention and R×R pooling;
- :func:`bap_sample_set`: (c) the stage-1 samples, their logits, targets
  and the cross-entropy.

Class indices: the classifier has L + 1 outputs with **background at index
0** and foreground class c (0-based, as in the datasets and mmpretrain) at
index c + 1, as in the official code and the VOC class tuple.
"""
import math
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from mmwsss.ops import grid_padding

Size = Union[int, Sequence[int]]


def as_pair(value: Size) -> Tuple[int, int]:
    """``(v, v)`` for an int, else the two values as ints."""
    if isinstance(value, int):
        return value, value
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f'expected an int or a pair, got {value}')
    return value


# --------------------------------------------------------------------------
# (a) grid background queries


def resize_bg_mask(bg_mask: Tensor, size: Sequence[int]) -> Tensor:
    """Binary definite-background mask (B, h, w) float at feature size.

    Nearest-neighbour resizing (PyTorch's ``'nearest'``: source index
    ``floor(i · in / out)``), as the official code. Values > 0 count as
    background.

    Args:
        bg_mask (Tensor): (B, H, W) or (B, 1, H, W), 1 = definite
            background (outside every box).
        size (tuple[int, int]): (h, w).
    """
    mask = (bg_mask > 0).float()
    if mask.dim() == 3:
        mask = mask[:, None]
    if tuple(mask.shape[-2:]) != tuple(size):
        mask = F.interpolate(mask, size=tuple(size), mode='nearest')
    return mask[:, 0]


def grid_bg_queries(feats: Tensor,
                    bg_mask: Tensor,
                    grid_size: int = 4,
                    eps: float = 1e-12) -> Tuple[Tensor, Tensor]:
    """Background queries q_j of an N×N grid and their validity.

    The mask is resized to the feature size (nearest), mask and features
    are zero-padded with :func:`grid_padding` (padded positions are not
    background), split into N×N equal cells j = 0..N²-1 (row-major) and

        q_j = Σ_{p∈G(j)} M(p) f(p) / (Σ_{p∈G(j)} M(p) + eps).

    A cell is valid iff Σ M > 0; an invalid cell gives q_j = 0.

    Args:
        feats (Tensor): features f (B, K, h, w).
        bg_mask (Tensor): definite-background mask M (B, H, W) or
            (B, 1, H, W) at any resolution, 1 = background.
        grid_size (int): N. Default: 4 (training); 1 for pseudo labels.
        eps (float): added to the cell's mask count. Default: 1e-12.

    Returns:
        tuple[Tensor, Tensor]: queries (B, N², K) and valid (B, N²) bool.
    """
    batch, channels, height, width = feats.shape
    mask = resize_bg_mask(bg_mask, (height, width)).to(feats.dtype)
    top, bottom = grid_padding(height, grid_size)
    left, right = grid_padding(width, grid_size)
    mask = F.pad(mask, (left, right, top, bottom))
    feats = F.pad(feats, (left, right, top, bottom))
    cell_h = (height + top + bottom) // grid_size
    cell_w = (width + left + right) // grid_size
    cells = (grid_size, cell_h, grid_size, cell_w)
    count = mask.reshape(batch, *cells).sum(dim=(2, 4))  # (B, N, N)
    total = (feats * mask[:, None]).reshape(batch, channels,
                                            *cells).sum(dim=(3, 5))
    queries = total / (count[:, None] + eps)  # (B, K, N, N)
    queries = queries.flatten(2).transpose(1, 2)  # (B, N², K)
    return queries, count.flatten(1) > 0


# --------------------------------------------------------------------------
# (b) RoI sampling, background attention and bin pooling


def _sample_count(low: float, high: float, length: int) -> int:
    """ceil(high_f) - floor(low_f) on the feature axis (at least 1)."""
    scale = torch.tensor((length - 1) / 2, dtype=torch.float32)
    one = torch.tensor(1.0, dtype=torch.float32)
    coords = (torch.tensor([low, high], dtype=torch.float32) + one) * scale
    # float32 like the official code; >= 1 guards zero-width boxes (the
    # official code has no such guard)
    return max(1, math.ceil(coords[1].item()) - math.floor(coords[0].item()))


def roi_sample(feat: Tensor,
               box: Sequence[float],
               align_corners: bool = False) -> Tensor:
    """Resample one normalised box of a feature map.

    The box is mapped to feature coordinates with the align-corners rule
    ``x_f = (x_n + 1)(fW - 1) / 2``; the RoI has ``ceil(x1_f) -
    floor(x0_f)`` columns (at least 1) and ``ceil(y1_f) -
    floor(y0_f)`` rows, at positions linearly spaced from x0_n to x1_n and
    y0_n to y1_n (endpoints included), bilinearly sampled with zero
    padding and, like the official code, ``align_corners=False``.

    Args:
        feat (Tensor): (K, h, w) features of one image.
        box (sequence[float]): normalised (x0, y0, x1, y1), e.g. from
            :func:`normalize_boxes`.
        align_corners (bool): ``grid_sample``'s convention. Default: False
            (official); True makes the sampling agree with the
            align-corners box normalisation.

    Returns:
        Tensor: the RoI r (K, BH, BW).
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    height, width = feat.shape[-2:]
    cols = _sample_count(x0, x1, width)
    rows = _sample_count(y0, y1, height)
    xs = torch.linspace(x0, x1, cols, dtype=torch.float32)
    ys = torch.linspace(y0, y1, rows, dtype=torch.float32)
    grid = torch.stack(
        (xs[None, :].expand(rows, cols), ys[:, None].expand(rows, cols)),
        dim=-1).to(device=feat.device, dtype=feat.dtype)
    return F.grid_sample(
        feat[None],
        grid[None],
        mode='bilinear',
        padding_mode='zeros',
        align_corners=align_corners)[0]


def background_attention(feats: Tensor,
                         queries: Optional[Tensor],
                         eps: float = 1e-12) -> Tensor:
    """A(u) = 1/J Σ_j ReLU(cos(f(u), q_j)).

    Cosines use ``F.normalize`` (norms clamped at ``eps``). With no query
    (J = 0, e.g. the boxes cover the image) the attention is 0 everywhere,
    which turns BAP into GAP instead of the official code's NaN mean.

    Args:
        feats (Tensor): (K, ...) features, e.g. a RoI (K, BH, BW) or a
            whole map (K, h, w).
        queries (Tensor, optional): valid queries (J, K).
        eps (float): normalisation eps. Default: 1e-12.

    Returns:
        Tensor: A with the spatial shape of ``feats`` (no channel axis).
    """
    if queries is None or queries.shape[0] == 0:
        return feats.new_zeros(feats.shape[1:])
    feats_n = F.normalize(feats, dim=0, eps=eps)
    queries_n = F.normalize(queries, dim=1, eps=eps)
    cos = torch.tensordot(queries_n, feats_n, dims=([1], [0]))
    return cos.relu().mean(dim=0)


def bin_windows(length: int, bins: int, device=None,
                dtype=torch.float32) -> Tensor:
    """0/1 matrix (bins, length): which positions each output bin pools.

    As the official code: with ``length >= bins`` the stride is
    ``s = length // bins`` and the window ``k = length - (bins - 1)·s``;
    bin i covers ``[i·s, i·s + k)`` (for 2 bins: [0, k) and [s, s + k),
    overlapping by one when the length is odd). A shorter axis is
    replicated: bin i uses position ``min(i, length - 1)`` (length 1: every
    bin uses it).
    """
    out = torch.zeros(bins, length, device=device, dtype=dtype)
    if length >= bins:
        stride = length // bins
        window = length - (bins - 1) * stride
        for i in range(bins):
            out[i, i * stride:i * stride + window] = 1
    else:
        for i in range(bins):
            out[i, min(i, length - 1)] = 1
    return out


def bin_pool(roi: Tensor,
             weight: Tensor,
             roi_size: Size = 2,
             eps: float = 1e-12) -> Tensor:
    """Weighted average of a RoI in R_h × R_w bins.

    Each bin is ``Σ w·r / (Σ w + eps)`` over its window
    (:func:`bin_windows`).

    Args:
        roi (Tensor): (K, BH, BW).
        weight (Tensor): (BH, BW) pooling weights, 1 - A for BAP, ones for
            GAP.
        roi_size (int | tuple[int, int]): bins per axis. Default: 2.
        eps (float): added to the weight sum. Default: 1e-12.

    Returns:
        Tensor: (R_h·R_w, K), bins in row-major order.
    """
    bins_h, bins_w = as_pair(roi_size)
    rows = bin_windows(roi.shape[1], bins_h, roi.device, roi.dtype)
    cols = bin_windows(roi.shape[2], bins_w, roi.device, roi.dtype)
    num = torch.einsum('ih,jw,khw->ijk', rows, cols, roi * weight)
    den = torch.einsum('ih,jw,hw->ij', rows, cols, weight)
    return (num / (den[..., None] + eps)).flatten(0, 1)


def bap_pool_boxes(feat: Tensor,
                   boxes: Tensor,
                   queries: Optional[Tensor] = None,
                   roi_size: Size = 2,
                   align_corners: bool = False,
                   eps: float = 1e-12) -> Tuple[Tensor, List[Tensor]]:
    """BAP features of the boxes of one image.

    For every box: :func:`roi_sample`, the attention A over the valid
    ``queries`` (:func:`background_attention`), then :func:`bin_pool` with
    weights w = 1 - A. ``queries=None`` (or empty) is the GAP fallback,
    w ≡ 1 (A = 0).

    Args:
        feat (Tensor): (K, h, w).
        boxes (Tensor): (n, 4) normalised boxes (:func:`normalize_boxes`).
        queries (Tensor, optional): (J, K) valid background queries of the
            image.
        roi_size (int | tuple[int, int]): bins per axis. Default: 2 (the
            official ROI_SIZE); 1 is the paper's one feature per box.
        align_corners (bool): see :func:`roi_sample`. Default: False.
        eps (float): normalisation / pooling eps. Default: 1e-12.

    Returns:
        tuple: pooled features (n, R_h·R_w, K) (box-major, bins row-major)
        and the attention maps A (BH_i, BW_i) of the boxes.
    """
    bins = as_pair(roi_size)
    pooled, attention = [], []
    for box in boxes.detach().cpu().tolist():
        roi = roi_sample(feat, box, align_corners)
        att = background_attention(roi, queries, eps)
        pooled.append(bin_pool(roi, 1 - att, bins, eps))
        attention.append(att)
    if not pooled:
        return feat.new_zeros(0, bins[0] * bins[1], feat.shape[0]), []
    return torch.stack(pooled), attention


# --------------------------------------------------------------------------
# (c) the sample set


def bap_sample_set(box_feats: Tensor,
                   box_classes: Tensor,
                   queries: Tensor,
                   weight: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """Logits, targets and CE of the stage-1 samples.

    The samples are every foreground bin feature (target: its box's class,
    1..L) followed by every valid background query (target 0); the logits
    are the bias-free dot products ``w_c · x`` (the official
    stage 1 has no cosine classifier) and the loss is the
    mean softmax cross-entropy over all samples (a background cell counts
    like a foreground bin). An empty sample set gives a zero loss that is
    still connected to ``weight``.

    Args:
        box_feats (Tensor): (n, R, K) pooled box features, or (n·R, K).
        box_classes (Tensor): (n,) class ids in 1..L (0 is background).
        queries (Tensor): (J, K) valid background queries of the batch.
        weight (Tensor): classifier weights (L + 1, K) (or the 1×1 conv
            weight (L + 1, K, 1, 1)), background first.

    Returns:
        tuple[Tensor, Tensor, Tensor]: logits (S, L + 1), targets (S,)
        int64 and the scalar CE, S = n·R + J.
    """
    weight = weight.reshape(weight.shape[0], -1)
    box_classes = box_classes.reshape(-1).long().to(weight.device)
    bins = box_feats.shape[1] if box_feats.dim() == 3 else 1
    fg = box_feats.reshape(-1, weight.shape[1])
    samples = torch.cat([fg, queries.reshape(-1, weight.shape[1])])
    targets = torch.cat([
        box_classes.repeat_interleave(bins),
        box_classes.new_zeros(queries.shape[0])
    ])
    logits = samples @ weight.t()
    if logits.shape[0] == 0:
        return logits, targets, weight.sum() * 0
    return logits, targets, F.cross_entropy(logits, targets)
