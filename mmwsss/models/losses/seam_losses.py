"""SEAM's loss terms (Wang et al., CVPR 2020) as plain tensor functions:
adaptive min-pooling, equivariant regularisation (ER) and equivariant
cross regularisation (ECR), with the map helpers they share."""
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


def resize_align_corners(maps: Tensor, size: Sequence[int]) -> Tensor:
    """Bilinear resize with ``align_corners=True`` (SEAM's every resize)."""
    if tuple(maps.shape[-2:]) == tuple(size):
        return maps
    return F.interpolate(
        maps, size=tuple(size), mode='bilinear', align_corners=True)


def with_background(labels: Tensor) -> Tensor:
    """Prepend the always-present background: (B, K) -> (B, 1 + K)."""
    return torch.cat([labels.new_ones(labels.shape[0], 1), labels], dim=1)


def fill_background(cams: Tensor) -> Tensor:
    """Replace channel 0 by ``1 - max_{c≥1} cams_c`` (not in place)."""
    return torch.cat(
        [1 - cams[:, 1:].max(dim=1, keepdim=True).values, cams[:, 1:]],
        dim=1)


def max_onehot(cams: Tensor) -> Tensor:
    """Keep the background channel and, per pixel, only the maximal
    foreground value(s); other foreground values become 0 (SEAM's
    ``max_onehot``, not in place)."""
    fg = cams[:, 1:]
    fg_max = fg.max(dim=1, keepdim=True).values
    return torch.cat(
        [cams[:, :1], torch.where(fg == fg_max, fg, torch.zeros_like(fg))],
        dim=1)


def adaptive_min_pooling_loss(cams: Tensor, ratio: float = 0.25) -> Tensor:
    """SEAM's adaptive min-pooling term on (label-masked) refined CAMs.

    ``m_{b,i} = max_c cams_{b,c,i}``; with ``k = ⌊ratio·H·W⌋`` and
    ``L_b`` the k smallest values of ``m_b``::

        L = 1/(B·k) Σ_b Σ_{i ∈ L_b} ReLU(m_{b,i})

    i.e. the mean ReLU of the lowest quarter (ratio 0.25) of the per-pixel
    maximum: it pushes the refined CAM to zero on what is most likely
    background.

    Args:
        cams (Tensor): (B, K, H, W) foreground maps already multiplied by
            the image labels (SEAM: ``(cam_rv · y)[:, 1:]`` at input size).
        ratio (float): share of pixels pooled. Default: 0.25.

    Returns:
        Tensor: scalar.
    """
    b, _, h, w = cams.shape
    k = int(h * w * ratio)
    if k < 1:
        raise ValueError(f'ratio {ratio} pools no pixel of a {h}x{w} map')
    peak = cams.max(dim=1).values.flatten(1)
    lowest = peak.topk(k, dim=1, largest=False).values
    return lowest.relu().sum() / (k * b)


def equivariant_regularization(cams1: Tensor, cams2: Tensor) -> Tensor:
    """SEAM's L_ER: ``mean |A(cam_1) - cam_2|`` over every element.

    Args:
        cams1 (Tensor): view-1 normalised maps, already transformed to view
            2 (SEAM: foreground channels, max-normed, ×0.3, × labels).
        cams2 (Tensor): view-2 maps, same shape.

    Returns:
        Tensor: scalar.
    """
    if cams1.shape != cams2.shape:
        raise ValueError(f'shapes differ: {tuple(cams1.shape)} vs '
                         f'{tuple(cams2.shape)}')
    return (cams1 - cams2).abs().mean()


def equivariant_cross_regularization(target: Tensor,
                                     refined: Tensor,
                                     top_ratio: float = 0.2) -> Tensor:
    """One direction of SEAM's L_ECR (a top-k hard-pixel L1).

    ``D = |max_onehot(target.detach()) - refined|`` over all C channels
    (background included), flattened per image; with
    ``k = int(C·h·w·top_ratio)`` the loss is the mean of the k largest
    values of every image, averaged over the batch. SEAM adds both
    directions: ``ecr(cam_2, cam_rv_1) + ecr(cam_1, cam_rv_2)``, where the
    ``cam`` have their background refilled by :func:`fill_background`.

    Args:
        target (Tensor): (B, C, h, w) the other view's CAM (detached here).
        refined (Tensor): (B, C, h, w) this view's refined CAM (cam_rv).
        top_ratio (float): share of the C·h·w elements kept. Default: 0.2.

    Returns:
        Tensor: scalar.
    """
    if target.shape != refined.shape:
        raise ValueError(f'shapes differ: {tuple(target.shape)} vs '
                         f'{tuple(refined.shape)}')
    b, c, h, w = refined.shape
    k = int(c * h * w * top_ratio)
    if k < 1:
        raise ValueError(f'top_ratio {top_ratio} keeps no element of '
                         f'{c}x{h}x{w}')
    diff = (max_onehot(target.detach()) - refined).abs().reshape(b, -1)
    return diff.topk(k, dim=1).values.mean()


__all__ = [
    'adaptive_min_pooling_loss', 'equivariant_regularization',
    'equivariant_cross_regularization', 'max_onehot', 'fill_background',
    'with_background', 'resize_align_corners'
]
