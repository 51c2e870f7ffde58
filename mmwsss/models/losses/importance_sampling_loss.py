"""Importance sampling loss (ISL) on class-score maps.

Jonnarth, Zhang, Felsberg, "High-fidelity Pseudo-labels for Boosting
Weakly-Supervised Segmentation", WACV 2024, arXiv:2304.02621 (official code
https://github.com/arvijj/hfpl): the binomial form is the WACV method; the
categorical form is its predecessor (icam, arXiv:2203.12459,
https://github.com/arvijj/icam), an ablation only.

For every image ``n`` and foreground class ``c`` (present **and** absent)
pixels are drawn with replacement from the distribution ``q_{n,c}`` defined
by the class map itself, and the class logit at the drawn pixels is pushed
towards the image label with a binary cross-entropy:

* binomial: ``q_{n,c}(i) ∝ sigmoid(s_{n,c,i}) + eps`` and the gathered value
  is the logit ``s_{n,c,i}`` itself;
* categorical: per pixel ``p = softmax`` over the channels (background
  included), ``q_{n,c}(i) ∝ p_{n,c,i} + eps`` and the gathered value is the
  probability mapped back to a logit,
  ``logit_ε(p) = log(p(1-ε)+ε) - log(1-p(1-ε))`` with ``ε = 1e-3``.

The draw is not differentiated (``q`` is a stop-gradient); gradients reach
only the gathered logits (duplicated draws accumulate). The background
channel, when the score map has one, takes no part in the binomial loss.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmwsss.registry import MODELS

_VARIANTS = ('binomial', 'categorical')
# icam's probability -> logit mapping: logit_ε(p), ε = 1e-3.
_CATEGORICAL_LOGIT_EPS = 1e-3


def _check_inputs(scores: Tensor, labels: Tensor,
                  background_index: Optional[int]) -> None:
    if scores.dim() != 4 or labels.dim() != 2:
        raise ValueError(f'scores must be (N, C, h, w) and labels (N, K), '
                         f'got {tuple(scores.shape)} and '
                         f'{tuple(labels.shape)}')
    num_fg = scores.shape[1] - (background_index is not None)
    if labels.shape != (scores.shape[0], num_fg):
        raise ValueError(
            f'labels {tuple(labels.shape)} must be (N, K) = '
            f'({scores.shape[0]}, {num_fg}) for scores '
            f'{tuple(scores.shape)} (background_index={background_index})')
    if background_index is not None and not (
            -scores.shape[1] <= background_index < scores.shape[1]):
        raise ValueError(f'background_index {background_index} out of range '
                         f'for {scores.shape[1]} channels')


def _split_background(scores: Tensor, background_index: Optional[int]
                      ) -> Tuple[Tensor, Optional[Tensor]]:
    """(foreground scores (N, K, h, w), background (N, 1, h, w) or None)."""
    if background_index is None:
        return scores, None
    bg = background_index % scores.shape[1]
    keep = [c for c in range(scores.shape[1]) if c != bg]
    return scores[:, keep], scores[:, bg:bg + 1]


def _check_variant(variant: str) -> None:
    if variant not in _VARIANTS:
        raise ValueError(f'variant must be one of {_VARIANTS}, got '
                         f'"{variant}"')


def isl_class_probabilities(scores: Tensor,
                            variant: str = 'binomial',
                            background_index: Optional[int] = None) -> Tensor:
    """Per-pixel foreground class probabilities (with gradient).

    Args:
        scores (Tensor): (N, C, h, w) raw class scores (logits).
        variant (str): ``'binomial'``: ``sigmoid`` of each foreground
            channel (hfpl); ``'categorical'``: softmax over all
            channels, background included (icam). Without a background
            channel (``background_index=None``) the categorical variant
            uses a constant background logit of 0 — our choice for hosts
            that only produce foreground maps.
        background_index (int, optional): the background channel of
            ``scores``, excluded from the foreground classes. Default: none.

    Returns:
        Tensor: (N, K, h, w) probabilities of the K foreground classes.
    """
    _check_variant(variant)
    fg, bg = _split_background(scores, background_index)
    if variant == 'binomial':
        return fg.sigmoid()
    if bg is None:
        bg = fg.new_zeros(fg.shape[0], 1, *fg.shape[2:])
    return torch.cat([bg, fg], dim=1).softmax(dim=1)[:, 1:]


def isl_class_logits(scores: Tensor,
                     variant: str = 'binomial',
                     background_index: Optional[int] = None) -> Tensor:
    """The per-pixel logits the BCE is applied to (with gradient).

    Binomial: the raw foreground scores. Categorical: the softmax
    probabilities mapped back with ``logit_ε(p) = log(p(1-ε)+ε) -
    log(1-p(1-ε))``, ``ε = 1e-3`` (icam), bounded by ``±log(1/ε)``.

    Returns:
        Tensor: (N, K, h, w).
    """
    _check_variant(variant)
    if variant == 'binomial':
        return _split_background(scores, background_index)[0]
    p = isl_class_probabilities(scores, variant, background_index)
    p = p * (1 - _CATEGORICAL_LOGIT_EPS)
    return (p + _CATEGORICAL_LOGIT_EPS).log() - (1 - p).log()


def isl_sampling_distribution(scores: Tensor,
                              variant: str = 'binomial',
                              background_index: Optional[int] = None,
                              eps: float = 1e-5) -> Tensor:
    """Pixel distribution ``q`` of every (image, foreground class).

    ``q_{n,c}(i) = (π_{n,c,i} + eps) / Σ_j (π_{n,c,j} + eps)`` with ``π``
    from :func:`isl_class_probabilities` (the official
    code adds 1e-5 and lets the sampler normalise). Computed without
    gradient: the draw is not differentiated.

    Args:
        scores (Tensor): (N, C, h, w) class scores.
        variant (str): ``'binomial'`` or ``'categorical'``.
        background_index (int, optional): background channel, excluded.
        eps (float): offset added to the probabilities. Default: 1e-5.

    Returns:
        Tensor: (N, K, h·w), rows summing to 1, no gradient.
    """
    with torch.no_grad():
        scores = scores.detach()
        if scores.dtype in (torch.float16, torch.bfloat16):
            scores = scores.float()  # eps = 1e-5 is below half precision
        p = isl_class_probabilities(scores, variant,
                                    background_index).flatten(2)
        p = p + eps
        return p / p.sum(dim=2, keepdim=True)


def sample_pixel_indices(q: Tensor,
                         num_samples: int,
                         generator: Optional[torch.Generator] = None
                         ) -> Tensor:
    """Draw ``num_samples`` flat pixel indices i.i.d. with replacement.

    Args:
        q (Tensor): (N, K, HW) distributions (need not be normalised).
        num_samples (int): draws S per (image, class).
        generator (torch.Generator, optional): random source on ``q``'s
            device; the global generator when None.

    Returns:
        Tensor: (N, K, S) int64 indices ``row·w + col`` (row-major).
    """
    if num_samples < 1:
        raise ValueError(f'num_samples must be >= 1, got {num_samples}')
    n, k, hw = q.shape
    idx = torch.multinomial(
        q.detach().reshape(n * k, hw),
        num_samples,
        replacement=True,
        generator=generator)
    return idx.reshape(n, k, num_samples)


def gathered_bce(logit_map: Tensor, labels: Tensor, indices: Tensor) -> Tensor:
    """Mean BCE-with-logits of the logits gathered at ``indices``.

    ``mean_{n,c,k} BCE(z_{n,c,k}, y_{n,c})`` with ``z_{n,c,k} =
    logit_map[n, c, indices[n, c, k]]`` (equal to the
    official multilabel soft-margin loss on the N×K×S tensor). Gradient
    ``(sigmoid(z) - y) / (N·K·S)`` per draw, accumulated over duplicates.

    Args:
        logit_map (Tensor): (N, K, h, w) per-pixel logits.
        labels (Tensor): (N, K) image labels in [0, 1].
        indices (Tensor): (N, K, S) flat pixel indices.

    Returns:
        Tensor: scalar.
    """
    n, k = logit_map.shape[:2]
    if indices.dim() != 3 or indices.shape[:2] != (n, k):
        raise ValueError(f'indices must be (N, K, S) = ({n}, {k}, S), got '
                         f'{tuple(indices.shape)}')
    z = logit_map.flatten(2).gather(2, indices.to(logit_map.device).long())
    target = labels.to(z.dtype)[:, :, None].expand_as(z)
    return F.binary_cross_entropy_with_logits(z, target, reduction='mean')


def importance_sampling_loss(scores: Tensor,
                             labels: Tensor,
                             num_samples: int = 10,
                             indices: Optional[Tensor] = None,
                             generator: Optional[torch.Generator] = None,
                             variant: str = 'binomial',
                             background_index: Optional[int] = None,
                             eps: float = 1e-5) -> Tensor:
    """The sampled ISL (unweighted).

    Args:
        scores (Tensor): (N, C, h, w) class scores at head resolution.
        labels (Tensor): (N, K) multi-hot image labels, K foreground classes.
        num_samples (int): draws S per (image, class). Default: 10.
        indices (Tensor, optional): (N, K, S) flat pixel indices to use
            instead of drawing (reproduces a recorded draw exactly).
        generator (torch.Generator, optional): random source for the draw.
        variant (str): ``'binomial'`` (WACV) or ``'categorical'`` (icam).
        background_index (int, optional): background channel of
            ``scores``, excluded. Default: none (all channels foreground).
        eps (float): offset of the sampling distribution. Default: 1e-5.

    Returns:
        Tensor: scalar mean BCE over the N·K·S draws.
    """
    _check_variant(variant)
    _check_inputs(scores, labels, background_index)
    if indices is None:
        q = isl_sampling_distribution(scores, variant, background_index, eps)
        indices = sample_pixel_indices(q, num_samples, generator)
    logit_map = isl_class_logits(scores, variant, background_index)
    return gathered_bce(logit_map, labels, indices)


@MODELS.register_module()
class ImportanceSamplingLoss(nn.Module):
    """Importance sampling loss (ISL) as a plug-in CAM loss.

    Draws ``num_samples`` pixels per image and foreground class from the
    class map's own (sigmoid) pixel distribution and applies a BCE against
    the image label to the logits found there (see
    :func:`importance_sampling_loss`). Absent classes are sampled too and
    get the ``y = 0`` BCE, which pushes their most active pixels down; the
    host's CAMs carry no background channel, so none is involved.

    Host inputs (``inputs``): ``cams`` (B, K, h, w) raw signed foreground
    score maps at head resolution, in the graph; ``labels`` (B, K).

    About ``loss_weight``: it is the absolute weight of the ISL in the
    total loss; the host's own classification loss is left as it is. In
    SEAM (official code) the full-resolution view mixes
    ``(1 - λ)·L_GAP + λ·ISL`` with ``λ = 0.2`` and SEAM averages the two
    views' classification terms, so the ISL's effective weight in the
    total loss is ``λ / 2 = 0.1`` (GAP terms 0.4 + 0.5) — the default
    here. To reproduce SEAM's mix exactly, also scale the host's GAP loss
    of that view by ``1 - λ``.

    Args:
        num_samples (int): draws S per (image, class). Default: 10 (WACV,
            VOC and COCO; icam used 100).
        loss_weight (float): multiplier of the returned loss. Default: 0.1
            (see above; icam used λ = 0.8).
        variant (str): ``'binomial'`` (default, the WACV method) or
            ``'categorical'`` (softmax with a constant 0 background logit,
            the earlier icam formulation; an ablation only).
        seed (int, optional): seed of a private ``torch.Generator`` (made
            on the input device at first use) for reproducible draws; the
            global generator when None. Default: None.
        eps (float): offset of the sampling distribution. Default: 1e-5.
        loss_name (str): key in the loss dict; starts with ``loss_``.
            Default: ``'loss_isl'``.
    """

    inputs: Tuple[str, ...] = ('cams', 'labels')

    def __init__(self,
                 num_samples: int = 10,
                 loss_weight: float = 0.1,
                 variant: str = 'binomial',
                 seed: Optional[int] = None,
                 eps: float = 1e-5,
                 loss_name: str = 'loss_isl') -> None:
        super().__init__()
        if not isinstance(num_samples, int) or num_samples < 1:
            raise ValueError(f'num_samples must be a positive int, got '
                             f'{num_samples!r}')
        _check_variant(variant)
        if not eps > 0:
            raise ValueError(f'eps must be > 0, got {eps}')
        if not loss_name.startswith('loss_'):
            raise ValueError(f'loss_name must start with "loss_", got '
                             f'"{loss_name}"')
        self.num_samples = num_samples
        self.loss_weight = loss_weight
        self.variant = variant
        self.seed = seed
        self.eps = eps
        self._loss_name = loss_name
        self._generator: Optional[torch.Generator] = None

    def _get_generator(self, device: torch.device
                       ) -> Optional[torch.Generator]:
        if self.seed is None:
            return None
        if self._generator is None or self._generator.device != device:
            self._generator = torch.Generator(device=device)
            self._generator.manual_seed(self.seed)
        return self._generator

    def forward(self,
                cams: Tensor,
                labels: Tensor,
                indices: Optional[Tensor] = None,
                generator: Optional[torch.Generator] = None) -> Tensor:
        """Args: cams (B, K, h, w) raw scores; labels (B, K) multi-hot;
        indices (B, K, S), optional recorded draw; generator, optional
        (overrides ``seed``).

        Returns:
            Tensor: scalar loss, already multiplied by ``loss_weight``.
        """
        if generator is None and indices is None:
            generator = self._get_generator(cams.device)
        loss = importance_sampling_loss(
            cams,
            labels,
            num_samples=self.num_samples,
            indices=indices,
            generator=generator,
            variant=self.variant,
            eps=self.eps)
        return self.loss_weight * loss

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def extra_repr(self) -> str:
        return (f'num_samples={self.num_samples}, variant={self.variant}, '
                f'loss_weight={self.loss_weight}, seed={self.seed}')


__all__ = [
    'ImportanceSamplingLoss', 'importance_sampling_loss',
    'isl_sampling_distribution', 'sample_pixel_indices', 'gathered_bce',
    'isl_class_probabilities', 'isl_class_logits'
]
