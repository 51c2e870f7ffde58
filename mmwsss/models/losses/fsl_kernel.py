"""The feature similarity loss (FSL) kernel: exact and memory-lean.

Jonnarth, Zhang, Felsberg, "High-fidelity Pseudo-labels for Boosting
Weakly-Supervised Segmentation", WACV 2024, arXiv:2304.02621 (official code
https://github.com/arvijj/hfpl).

For a prediction map Y (N, C, h, w) and a guidance image x (N, 3, h, w) in
[0, 1], over **all ordered pixel pairs** (i, j) of each image::

    δ_ij = clamp(Σ_ch |x_ch,i - x_ch,j| / 3, 0, 1)          colour distance
    f_ij = tanh(μ + log((δ_ij + 1e-5) / (1 - δ_ij + 1e-5)))  dissimilarity
    w_ij = exp(-|p_i - p_j|² / (2σ²)) / (2πσ²)   spatial (σ None: 1/(h·w))
    FSL  = -1/(N·h·w) Σ_n Σ_ij w_ij f_ij ½|Y_i - Y_j|²

Efficient exact form. ``a_ij = w_ij f_ij`` depends on the image only,
so it is a constant for autograd, and it is symmetric (δ and the pixel
distance are). With ``d_i = Σ_j a_ij`` (= ``Σ_j a_ji``)::

    Σ_ij a_ij ½|Y_i - Y_j|² = ½ Σ_ij a_ij (|Y_i|² + |Y_j|² - 2 Y_i·Y_j)
                            = Σ_i d_i |Y_i|² - Σ_ij a_ij Y_i·Y_j
                            = Σ_c Y_cᵀ (D - A) Y_c

(the diagonal a_ii cancels between D and A), hence
``FSL = -1/(N·h·w) Σ_c Y_cᵀ (D - A) Y_c`` and, A being symmetric,
``∂FSL/∂Y = -2/(N·h·w) (D - A) Y``. :class:`_FSLFunction` evaluates
``(D - A)·[Y, 1]`` tile by tile (a tile = the pairs between two blocks of
whole image rows, for all images at once; only tiles on or above the
diagonal are built and each serves both A_IJ·Y_J and A_JI·Y_I = A_IJᵀ·Y_I),
so the pair weights never exist for the whole image and nothing per pair
is kept for autograd. The forward pass already holds ``(D - A) Y``, which
is the gradient up to a scalar; backward only rescales it by
``grad_output`` (no second pass over the pairs). Memory: a few
N·block² tile buffers (reused) plus O(N·C·h·w); time: half the dense
form's pairs (one triangle of tiles), ~16 in-place elementwise passes per
pair in cache-sized buffers plus two (C+1)-row matrix products, no
autograd graph.
"""
import math
from typing import Dict, Optional, Tuple

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

# Offset inside the dissimilarity's log ratio (official code).
FSL_EPS = 1e-5
WINDOW_SHAPES = ('square', 'circle')
# block_size=None: tiles of about this many elements (N·block²), small
# enough for the CPU caches; larger tiles were slower on CPU.
_AUTO_TILE_ELEMENTS = 2**19


def colour_distance(x_a: Tensor, x_b: Tensor, dim: int = 1) -> Tensor:
    """Normalised L1 colour distance ``clamp(mean_ch |x_a - x_b|, 0, 1)``.

    The official code divides the L1 norm by ``d^(1/p)``, d = 3 channels,
    p = 1; broadcasting as usual, channels along ``dim``.
    """
    return ((x_a - x_b).abs().sum(dim=dim) / x_a.shape[dim]).clamp(0, 1)


def _exp_2mu(mu: float) -> float:
    """``e^{2μ}``; 2μ clamped to ±160, beyond which f is ±1 anyway
    (|log ratio| ≤ 11.6), so that Python's ``exp`` cannot overflow."""
    return math.exp(max(-160.0, min(160.0, 2 * mu)))


def dissimilarity(delta: Tensor, mu: float = 2.5) -> Tensor:
    """``f(δ) = tanh(μ + log((δ + 1e-5) / (1 - δ + 1e-5)))``.

    Evaluated as ``1 - 2 / (1 + e^{2μ} t²)`` with ``t`` the ratio inside the
    log, the same function (``tanh z = 1 - 2/(1 + e^{2z})``) without
    transcendental calls per pair and safe when ``e^{2μ} t²`` overflows.
    ``f < 0`` ("similar") for δ below ``1 / (1 + e^μ)`` (0.076 at μ = 2.5).
    """
    ratio = (delta + FSL_EPS) / ((1 + FSL_EPS) - delta)
    return 1 - 2 / (1 + _exp_2mu(mu) * ratio * ratio)


def spatial_weight(sq_dist: Tensor,
                   sigma: Optional[float] = 5.0,
                   num_pixels: Optional[int] = None) -> Tensor:
    """Pair weight from the squared pixel distance (CAM-grid units).

    ``exp(-d² / (2σ²)) / (2πσ²)``, an isotropic 2-D Gaussian density, not
    renormalised at borders (as the official code); with ``sigma=None`` the
    constant ``1 / num_pixels`` (``num_pixels = h·w``).
    """
    if sigma is None:
        if num_pixels is None:
            raise ValueError('sigma=None needs num_pixels (= h·w)')
        return torch.full_like(sq_dist, 1.0 / num_pixels)
    return torch.exp(sq_dist / (-2.0 * sigma**2)) / (2 * math.pi * sigma**2)


def check_fsl_args(pred: Tensor, guide: Tensor, sigma: Optional[float],
                   window: Optional[float], window_shape: str) -> None:
    """Raise for inputs and options the FSL does not accept."""
    if pred.dim() != 4 or guide.dim() != 4 or guide.shape[1] != 3 or (
            guide.shape[0] != pred.shape[0]
            or guide.shape[2:] != pred.shape[2:]):
        raise ValueError(
            f'pred must be (N, C, h, w) and guide (N, 3, h, w), got '
            f'{tuple(pred.shape)} and {tuple(guide.shape)}')
    if not pred.is_floating_point():
        raise TypeError(f'pred must be floating point, got {pred.dtype}')
    check_fsl_options(sigma, window, window_shape)


def check_fsl_options(sigma: Optional[float], window: Optional[float],
                      window_shape: str) -> None:
    """Raise for a non-positive ``sigma``, a negative ``window`` or an
    unknown ``window_shape``."""
    if sigma is not None and not sigma > 0:
        raise ValueError(f'sigma must be > 0 or None, got {sigma}')
    if window is not None and not window >= 0:
        raise ValueError(f'window must be >= 0 or None, got {window}')
    if window_shape not in WINDOW_SHAPES:
        raise ValueError(f'window_shape must be one of {WINDOW_SHAPES}, '
                         f'got "{window_shape}"')


def check_block_size(block_size: Optional[int]) -> None:
    """Raise unless ``block_size`` is a positive int or None."""
    if block_size is not None and not (isinstance(block_size, int)
                                       and block_size >= 1):
        raise ValueError(f'block_size must be a positive int or None, got '
                         f'{block_size!r}')


def _pair_sq_dist(rows_a: Tensor, rows_b: Tensor,
                  cols: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """Row offsets (a, 1, b, 1), column offsets (1, w, 1, w) and squared
    distances (a·w, b·w) between pixels of two sets of whole image rows."""
    dr = (rows_a[:, None] - rows_b[None, :])[:, None, :, None]
    dc = (cols[:, None] - cols[None, :])[None, :, None, :]
    sq = (dr * dr + dc * dc).reshape(rows_a.numel() * cols.numel(),
                                     rows_b.numel() * cols.numel())
    return dr, dc, sq


def _spatial_tile(rows_a: Tensor, rows_b: Tensor, cols: Tensor,
                  sigma: Optional[float], num_pixels: int,
                  window: Optional[float], window_shape: str) -> Tensor:
    """Spatial weights w_ij (a·w, b·w) of a tile, zero outside the window."""
    dr, dc, sq = _pair_sq_dist(rows_a, rows_b, cols)
    weight = spatial_weight(sq, sigma, num_pixels)
    if window is not None:
        if window_shape == 'square':
            inside = (dr.abs() <= window) & (dc.abs() <= window)
            inside = inside.reshape(sq.shape)
        else:
            inside = sq <= window * window
        weight = weight * inside
    return weight


def _laplacian_product(pred: Tensor, guide: Tensor, mu: float,
                       sigma: Optional[float], window: Optional[float],
                       window_shape: str,
                       block_size: Optional[int]) -> Tensor:
    """``(D - A) Y`` per image and channel, (N, C, h·w), built tile by tile
    (float64 for float32 inputs, see below).

    ``a_ij = w_ij f(δ_ij)``; a tile holds the pairs between the pixels of
    two blocks of whole image rows, for the whole batch: (N, a·w, b·w).
    Row blocks I ≤ J only: the tile serves A_IJ Y_J and (symmetry)
    A_JI Y_I = A_IJᵀ Y_I. A ones row appended to Yᵀ gives the degrees
    d = A·1 from the same matrix products. The tile temporaries live in
    buffers reused across tiles (fresh large allocations cost page faults
    that were several times the arithmetic on CPU).
    """
    n, c, h, w = pred.shape
    hw = h * w
    dtype, device = pred.dtype, pred.device
    y = pred.detach().reshape(n, c, hw)
    yt1 = torch.cat([y, y.new_ones(n, 1, hw)], dim=1)  # (N, C + 1, hw)
    # δ = Σ_ch |x_i - x_j| / 3: L1 distance of x / 3; x in [0, 1] makes
    # δ in [0, 1], so the clamp of the definition is a no-op.
    x = (guide.detach().to(dtype).clamp(0, 1) / 3).reshape(n, 3, hw)
    k = _exp_2mu(mu)
    # The tile products are summed (over tiles) and differenced (D·Y - A·Y)
    # in float64 when the input is float32 (CPU/CUDA): cheap, N·(C+1)·h·w
    # values, and it lowers the rounding error of the gradient by ~1/3.
    acc_dtype = dtype
    if dtype == torch.float32 and device.type in ('cpu', 'cuda'):
        acc_dtype = torch.float64
    out = torch.zeros(n, c + 1, hw, dtype=acc_dtype, device=device)

    if block_size is None:  # a tile of ~2^19 elements: fits the caches
        block_size = int(math.sqrt(_AUTO_TILE_ELEMENTS / max(n, 1)))
    rows_per_block = max(1, block_size // w)
    starts = list(range(0, h, rows_per_block))
    arange = torch.arange(max(h, w), dtype=dtype, device=device)
    cols = arange[:w]
    constant_w = sigma is None and window is None
    spatial_cache: Dict[Tuple[int, int], Tuple[Tensor, Tensor]] = {}
    buffers: Dict[Tuple[int, int], Tuple[Tensor, ...]] = {}
    # Tiles in diagonal order (block J = I + offset): the spatial weights
    # depend on the row offset only, so one (or two, at the last block)
    # spatial tile per diagonal is enough.
    for offset in range(len(starts)):
        spatial_cache.clear()
        for bi in range(len(starts) - offset):
            r0, s0 = starts[bi], starts[bi + offset]
            r1 = min(r0 + rows_per_block, h)
            s1 = min(s0 + rows_per_block, h)
            if window is not None and s0 - (r1 - 1) > window:
                continue  # no pair of these row blocks is in the window
            sa, sb = slice(r0 * w, r1 * w), slice(s0 * w, s1 * w)
            pa, pb = (r1 - r0) * w, (s1 - s0) * w
            if (pa, pb) not in buffers:
                buffers[pa, pb] = (
                    torch.empty(n, pa, pb, dtype=dtype, device=device),
                    torch.empty(n, pa, pb, dtype=dtype, device=device),
                    torch.empty(n, c + 1, pa, dtype=dtype, device=device),
                    torch.empty(n, c + 1, pb, dtype=dtype, device=device))
            a, tmp, prod_a, prod_b = buffers[pa, pb]
            # colour distance δ (N, pa, pb)
            xa, xb = x[:, :, sa], x[:, :, sb]
            torch.sub(xa[:, 0, :, None], xb[:, 0, None, :], out=a).abs_()
            for ch in (1, 2):
                torch.sub(
                    xa[:, ch, :, None], xb[:, ch, None, :], out=tmp).abs_()
                a.add_(tmp)
            # a = w·f with f = 1 - 2 / (1 + k t²), t = (δ + ε) / (1 + ε - δ)
            # (see dissimilarity()): a = w - 2w / (1 + k t²), in place.
            torch.sub(1 + FSL_EPS, a, out=tmp)
            a.add_(FSL_EPS).div_(tmp).square_().mul_(k).add_(1).reciprocal_()
            if constant_w:
                a.mul_(-2.0 / hw).add_(1.0 / hw)
            else:
                key = (r1 - r0, s1 - s0)
                if key not in spatial_cache:
                    tile = _spatial_tile(arange[r0:r1], arange[s0:s1], cols,
                                         sigma, hw, window, window_shape)
                    spatial_cache[key] = (tile, -2 * tile)
                tile, minus_2tile = spatial_cache[key]
                torch.addcmul(tile, minus_2tile, a, out=a)
            # [A_IJ Y_J]ᵀ = Y_Jᵀ A_IJᵀ and [A_JI Y_I]ᵀ = Y_Iᵀ A_IJ
            torch.bmm(yt1[:, :, sb], a.transpose(1, 2), out=prod_a)
            out[:, :, sa] += prod_a
            if s0 != r0:
                torch.bmm(yt1[:, :, sa], a, out=prod_b)
                out[:, :, sb] += prod_b
    return out[:, c:] * y - out[:, :c]  # D·Y - A·Y, (N, C, hw)


class _FSLFunction(torch.autograd.Function):
    """FSL value with the analytic gradient ``-2/(N·h·w) (D - A) Y``."""

    @staticmethod
    def forward(ctx, pred: Tensor, guide: Tensor, mu: float,
                sigma: Optional[float], window: Optional[float],
                window_shape: str, block_size: Optional[int]) -> Tensor:
        n, c, h, w = pred.shape
        scale = -1.0 / (n * h * w)
        lap = _laplacian_product(pred, guide, mu, sigma, window,
                                 window_shape, block_size)
        y = pred.detach().reshape(n, c, -1).to(lap.dtype)
        loss = (scale * (y * lap).sum()).to(pred.dtype)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(lap.to(pred.dtype))
            ctx.grad_scale = 2 * scale
            ctx.pred_shape = pred.shape
        return loss

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output: Tensor):
        grad = None
        if ctx.needs_input_grad[0]:
            lap, = ctx.saved_tensors
            grad = (lap * (grad_output * ctx.grad_scale)).reshape(
                ctx.pred_shape)
        return grad, None, None, None, None, None, None


def feature_similarity_loss(pred: Tensor,
                            guide: Tensor,
                            mu: float = 2.5,
                            sigma: Optional[float] = 5.0,
                            window: Optional[float] = None,
                            window_shape: str = 'square',
                            block_size: Optional[int] = None) -> Tensor:
    """The FSL, exactly, in O(N·block²) memory.

    Same value and gradient (wrt ``pred``) as
    the dense pair-tensor form up to rounding, without the
    (h·w)² pair tensors; see the module docstring for the derivation.

    Args:
        pred (Tensor): (N, C, h, w) prediction map Y (float32/64, any
            device; float16/bfloat16 are computed in float32), e.g. from
            :func:`fsl_prediction_map`.
        guide (Tensor): (N, 3, h, w) guidance image, RGB; clamped to
            [0, 1] here. Carries no gradient.
        mu (float): offset μ of the dissimilarity score. Default: 2.5.
        sigma (float, optional): Gaussian σ in CAM pixels; None = the
            constant weight 1/(h·w). Default: 5.0.
        window (float, optional): keep only pairs within this radius — a
            deviation from the official untruncated loss (``⌈3σ⌉`` =
            15 for σ = 5 if one is used). Default: None (exact,
            all ordered pairs).
        window_shape (str): ``'square'`` (|Δrow|, |Δcol| ≤ window, a
            (2r+1)² window) or ``'circle'`` (Euclidean distance ≤ window).
        block_size (int, optional): about this many pixels (whole image
            rows, at least one row) per tile side; a tile temporary holds
            N·block² elements. Default: None = automatic, tiles of about
            2^19 elements (2 MiB in float32), the fastest on CPU; on a GPU
            larger tiles (fewer kernel launches) may be faster.

    Returns:
        Tensor: scalar.
    """
    check_fsl_args(pred, guide, sigma, window, window_shape)
    check_block_size(block_size)
    if pred.dtype in (torch.float16, torch.bfloat16):
        pred = pred.float()
    if pred.numel() == 0:  # empty batch: a zero that keeps the graph
        return pred.sum() * 0
    with torch.autocast(pred.device.type, enabled=False):
        return _FSLFunction.apply(pred, guide, float(mu),
                                  None if sigma is None else float(sigma),
                                  window, window_shape, block_size)
