"""Pure pieces of ACR's losses: target CAM, target-class sampling, Stochastic
Remnant Feeding (SRF) grids and the masked L1.

Kweon, Yoon, Yoon, "Weakly Supervised Semantic Segmentation via Adversarial
Learning of Classifier and Reconstructor", CVPR 2023; official code
sangrockEG/ACR (``models/exp_recon_cvpr23.py``), whose behaviour these
functions reproduce. The CAM normaliser N is
:func:`mmwsss.models.utils.minmax_normalize`.
"""
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from ..utils import minmax_normalize

Size = Union[int, Sequence[int]]


def _check_target(labels: Tensor, target_onehot: Tensor) -> Tensor:
    """Indices t (B,) of a one-hot (B, C) whose class is a positive label."""
    if target_onehot.shape != labels.shape or labels.dim() != 2:
        raise ValueError(
            f'labels {tuple(labels.shape)} and target_onehot '
            f'{tuple(target_onehot.shape)} must both be (B, C)')
    if not bool(((target_onehot == 0) | (target_onehot == 1)).all()) or \
            not bool((target_onehot.sum(dim=1) == 1).all()):
        raise ValueError('target_onehot must hold exactly one 1 per image '
                         '(see sample_target_classes)')
    index = target_onehot.argmax(dim=1)
    if not bool((labels.gather(1, index[:, None]) > 0).all()):
        raise ValueError('target_onehot picks a class that is not among the '
                         "image's labels; the target class t must be "
                         'a positive class')
    return index


def target_cam(cam_logits: Tensor, labels: Tensor, target_onehot: Tensor,
               size: Size) -> Tensor:
    """Target CAM ``A_t = [bilinear(N(M) ⊙ y, H×W)]_t`` (B, 1, H, W).

    N (per sample and class, over space) is applied at CAM resolution,
    then the label mask y, then bilinear upsampling (align_corners=False),
    then channel t. Every step is per channel, so t is picked first (the
    same numbers, C times less work). Differentiable through N's max/min.
    The non-target CAM is ``1 − A_t``.

    Args:
        cam_logits (Tensor): raw class maps M (B, C, h, w), no ReLU.
        labels (Tensor): multi-hot labels y (B, C).
        target_onehot (Tensor): one-hot target classes (B, C), each a
            positive label.
        size (int | tuple[int, int]): output size (H, W).
    """
    index = _check_target(labels, target_onehot)
    picked = cam_logits.gather(
        1, index[:, None, None, None].expand(-1, 1, *cam_logits.shape[2:]))
    y_t = labels.gather(1, index[:, None]).to(cam_logits.dtype)
    normed = minmax_normalize(picked) * y_t[:, :, None, None]
    return F.interpolate(
        normed, size=size, mode='bilinear', align_corners=False)


def sample_target_classes(labels: Tensor,
                          generator: Optional[torch.Generator] = None
                          ) -> Tensor:
    """One target class per image, uniform among its positive labels (the
    OC-CSE class-specific strategy ACR adopts).

    Args:
        labels (Tensor): multi-hot labels (B, C).
        generator (torch.Generator, optional): a CPU generator (the draw
            runs on the CPU whatever the device of ``labels``).

    Returns:
        Tensor: one-hot (B, C), dtype and device of ``labels``.
    """
    positive = (labels.detach() > 0).cpu()
    empty = (~positive.any(dim=1)).nonzero().flatten().tolist()
    if empty:
        raise ValueError(
            f'images {empty} of the batch have no positive class; ACR '
            'needs at least one image-level label per training image '
            '(drop label-less images from the training list)')
    index = torch.multinomial(positive.float(), 1, generator=generator)
    onehot = torch.zeros(labels.shape, dtype=labels.dtype)
    onehot.scatter_(1, index, 1)
    return onehot.to(labels.device)


def sample_srf_cells(batch: int,
                     cells: int,
                     q: float,
                     device: Union[str, torch.device] = 'cpu',
                     generator: Optional[torch.Generator] = None) -> Tensor:
    """SRF cell grid (B, 1, s, s) in {0, 1}, 1 = hidden, i.i.d. per cell and
    image with ``P(hidden) = 1 − q`` (q = remnant probability).

    The official code draws ``randint(0, 100) < 20 + epoch``; for q on a
    0.01 grid that is the same distribution.

    Args:
        batch (int): images B.
        cells (int): cells s per side (code: 16; supplement: s ~ U{16..24}).
        q (float): probability that a cell feeds the remnant (visible).
        device: device of the result.
        generator (torch.Generator, optional): a CPU generator.
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError(f'SRF keep probability q must be in [0, 1], got {q}')
    if int(cells) != cells or cells < 1:
        raise ValueError(f'SRF cells must be a positive integer, got {cells}')
    draw = torch.rand((batch, 1, int(cells), int(cells)), generator=generator)
    return (draw < 1.0 - q).float().to(device)


def srf_hidden_map(hidden_cells: Tensor, size: Size) -> Tensor:
    """Hidden map ``E`` (B, 1, H, W) = nearest upsampling of the cell grid
    (PyTorch's ``'nearest'``: pixel i takes cell ⌊i·s/H⌋, also when s does
    not divide H, as the official code)."""
    return F.interpolate(hidden_cells.float(), size=size, mode='nearest')


def srf_keep_probability(epoch: int,
                         start: float = 0.8,
                         step: float = 0.01) -> float:
    """Remnant probability ``q = clamp(start − step·epoch, 0, 1)`` (epoch
    counted from 0; the code hides a cell with probability
    (20 + epoch) / 100)."""
    if epoch < 0:
        raise ValueError(f'epoch must be >= 0, got {epoch}')
    return min(1.0, max(0.0, start - step * epoch))


def masked_l1(recon: Tensor, img: Tensor, weight: Tensor,
              per_sample: bool = False) -> Tensor:
    """``L1w(R, I, W) = 1/(B·3·H·W) Σ |R − I| ⊙ W``.

    The plain mean over the whole tensor with the weight multiplied in
    (the denominator is not the mask area), as the official
    ``L1(R·W, I·W)`` for W ≥ 0.

    Args:
        recon (Tensor): reconstruction R (B, 3, H, W).
        img (Tensor): target image I (B, 3, H, W).
        weight (Tensor): W, (B, 1, H, W) (broadcast over channels) or
            (B, 3, H, W).
        per_sample (bool): return the (B,) per-image means instead.
    """
    if recon.shape != img.shape:
        raise ValueError(f'recon {tuple(recon.shape)} and img '
                         f'{tuple(img.shape)} must have the same shape')
    try:
        shape = torch.broadcast_shapes(img.shape, weight.shape)
    except RuntimeError:
        shape = None
    if shape != img.shape:
        raise ValueError(f'weight {tuple(weight.shape)} does not broadcast '
                         f'to the image shape {tuple(img.shape)}')
    error = (recon - img).abs() * weight
    return error.flatten(1).mean(dim=1) if per_sample else error.mean()
