"""Exact statistics of bilinearly upsampled features without building them.

BANA stage 2 (Oh et al., CVPR 2021, arXiv:2104.00905) upsamples the stride-8
features f (K, h, w) to the image size with ``align_corners=True`` and then
only needs

- linear maps of the upsampled features, ``q · up(f)(p)`` (CAMs, cosine
  numerators),
- their norms ``‖up(f)(p)‖`` (cosine denominators), and
- masked sums ``Σ_p m(p) up(f)(p)`` (background queries, prototypes).

Bilinear upsampling is linear, ``up(f) = R_h f R_wᵀ`` with interpolation
matrices R_h (H, h) and R_w (W, w), so

    q · up(f) = R_h (q · f) R_wᵀ,   Σ_p m(p) up(f)(p) = f · (R_hᵀ m R_w),

and, since up(f)(p) = Σ_a w_a(p) f_a over the four source corners a of p,

    ‖up(f)(p)‖² = Σ_a Σ_b w_a(p) w_b(p) (f_a · f_b),

where the ten distinct corner dot products are maps at low resolution.
Memory is O(C · H · W) instead of K · H · W
(768 MB for K = 1024 at 500×375), and the results equal those of the
materialised ``F.interpolate(..., align_corners=True)`` up to float
rounding.
"""
from typing import Tuple

import torch
from torch import Tensor


def _source_rows(out_size: int, in_size: int) -> Tuple[Tensor, Tensor]:
    """Lower source index ⌊s⌋ and fraction s − ⌊s⌋ of every output index,
    s = i·(in − 1)/(out − 1) (``align_corners=True``)."""
    if out_size == 1 or in_size == 1:
        return (torch.zeros(out_size, dtype=torch.long),
                torch.zeros(out_size, dtype=torch.float64))
    src = torch.arange(out_size, dtype=torch.float64) * (
        (in_size - 1) / (out_size - 1))
    low = src.floor().long().clamp(max=in_size - 1)
    return low, src - low.double()


def align_corners_matrix(out_size: int,
                         in_size: int,
                         dtype: torch.dtype = torch.float32,
                         device=None) -> Tensor:
    """Interpolation matrix R (out, in) of 1-D linear resizing with
    ``align_corners=True``: weights 1 − (s − ⌊s⌋) and s − ⌊s⌋ on ⌊s⌋ and
    ⌊s⌋ + 1 (clamped), s = i·(in − 1)/(out − 1)."""
    if out_size < 1 or in_size < 1:
        raise ValueError(f'sizes must be >= 1, got {out_size}, {in_size}')
    low, frac = _source_rows(out_size, in_size)
    high = (low + 1).clamp(max=in_size - 1)
    matrix = torch.zeros(out_size, in_size, dtype=dtype)
    rows = torch.arange(out_size)
    matrix.index_put_((rows, low), (1 - frac).to(dtype), accumulate=True)
    matrix.index_put_((rows, high), frac.to(dtype), accumulate=True)
    return matrix.to(device)


class UpsampledFeatures:
    """Features f (K, h, w) viewed at image size (H, W) through
    ``align_corners=True`` bilinear upsampling (see the module doc).

    Args:
        feats (Tensor): (K, h, w) stride-s features of one image.
        size (tuple[int, int]): image size (H, W).
    """

    def __init__(self, feats: Tensor, size: Tuple[int, int]) -> None:
        if feats.dim() != 3:
            raise ValueError(f'feats must be (K, h, w), got '
                             f'{tuple(feats.shape)}')
        self.feats = feats
        self.size = (int(size[0]), int(size[1]))
        height, width = feats.shape[1:]
        kwargs = dict(dtype=feats.dtype, device=feats.device)
        self.rows = align_corners_matrix(self.size[0], height, **kwargs)
        self.cols = align_corners_matrix(self.size[1], width, **kwargs)
        self._norm = None

    def upsample(self, maps: Tensor) -> Tensor:
        """``R_h m R_wᵀ`` of low-resolution maps (C, h, w) -> (C, H, W)."""
        return self.rows @ maps @ self.cols.t()

    def linear(self, weights: Tensor) -> Tensor:
        """``weights · up(f)`` (C, H, W) for weights (C, K)."""
        low = torch.tensordot(weights.to(self.feats), self.feats, dims=1)
        return self.upsample(low)

    def masked_sum(self, mask: Tensor) -> Tensor:
        """``Σ_p mask(p) up(f)(p)`` (K,) for an (H, W) mask."""
        pooled = self.rows.t() @ mask.to(self.feats) @ self.cols  # (h, w)
        return torch.tensordot(self.feats, pooled, dims=2)

    def masked_mean(self, mask: Tensor, eps: float = 0.0) -> Tensor:
        """Mean of ``up(f)`` over the pixels of a 0/1 mask (K,)."""
        return self.masked_sum(mask) / (mask.to(self.feats).sum() + eps)

    def norm(self) -> Tensor:
        """``‖up(f)(p)‖`` (H, W), cached."""
        if self._norm is None:
            self._norm = self._sq_norm().clamp(min=0).sqrt()
        return self._norm

    def _sq_norm(self) -> Tensor:
        # corner dot products at low resolution (f padded by one replicated
        # row and column, which always gets weight 0)
        f = torch.cat((self.feats, self.feats[:, -1:]), dim=1)
        f = torch.cat((f, f[:, :, -1:]), dim=2)
        f00, f01 = f[:, :-1, :-1], f[:, :-1, 1:]
        f10, f11 = f[:, 1:, :-1], f[:, 1:, 1:]
        dots = torch.stack([(a * b).sum(0) for a, b in (
            (f00, f00), (f01, f01), (f10, f10), (f11, f11), (f00, f01),
            (f10, f11), (f00, f10), (f01, f11), (f00, f11), (f01, f10))])
        # the top-left source corner and the weights of every output pixel
        y0, ty = _source_rows(self.size[0], self.feats.shape[1])
        x0, tx = _source_rows(self.size[1], self.feats.shape[2])
        dots = dots[:, y0.to(f.device)][:, :, x0.to(f.device)]  # (10, H, W)
        wy0, wy1 = (1 - ty).to(f)[:, None], ty.to(f)[:, None]
        wx0, wx1 = (1 - tx).to(f)[None], tx.to(f)[None]
        w00, w01, w10, w11 = wy0 * wx0, wy0 * wx1, wy1 * wx0, wy1 * wx1
        weights = (w00 * w00, w01 * w01, w10 * w10, w11 * w11,
                   2 * w00 * w01, 2 * w10 * w11, 2 * w00 * w10,
                   2 * w01 * w11, 2 * w00 * w11, 2 * w01 * w10)
        return sum(w * d for w, d in zip(weights, dots))

    def cosine(self, queries: Tensor, eps: float = 1e-12) -> Tensor:
        """``cos(up(f)(p), q_j)`` (J, H, W) for queries (J, K), norms
        clamped at ``eps`` as ``F.normalize`` does."""
        queries = queries.to(self.feats)
        numer = self.linear(queries)
        q_norm = queries.norm(dim=1).clamp(min=eps)
        return numer / (self.norm().clamp(min=eps)[None] * q_norm[:, None,
                                                                  None])
