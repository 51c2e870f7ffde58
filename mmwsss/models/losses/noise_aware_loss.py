"""BANA's noise-aware loss (NAL) and the ablation losses of its supplement.

Oh, Kim, Ham, "Background-Aware Pooling and Noise-Aware Loss for
Weakly-Supervised Semantic Segmentation", CVPR 2021, arXiv:2104.00905;
official code https://github.com/cvlab-yonsei/BANA.

Inputs, pooled over every pixel of the batch (no per-image averaging):

- ``s`` (B, C, H, W): raw cosine scores ``cos(φ(p), W_c)`` already upsampled
  to the label size; ``H = softmax(τ·s)`` (or of the given logits);
- ``y`` (B, H, W): Y_crf, the label ``c*``; ``ignore_index`` (255) pixels
  take part in no term;
- ``reliable`` (B, H, W) bool: the region S where Y_crf = Y_ret (from the
  loader's ``mask_fin``: ``mask_fin != 255``). ~S = not reliable and
  labelled.

NAL::

    L_ce  = -1/|S| Σ_{p∈S} log H_{c*}(p)
    D_c   = 1 + s_c                 α = D_{c*} / max_c D_c       σ = α^γ
    L_wce = -Σ_{p∈~S} σ(p) log H_{c*}(p) / Σ_{p∈~S} σ(p)
    L     = L_ce + λ·L_wce          (γ = 7, λ = 0.1, τ = 20)

σ is not detached (official code); ``detach_sigma=True`` makes it a
constant weight. Empty regions give a zero term, never NaN (the official
code gives 0/0 when a batch has no unreliable pixel).
"""
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from torch import Tensor

from mmwsss.registry import MODELS
from .nal_ablations import (
    bootstrapping_loss,
    entropy_regularization,
    poly_beta,
)
from .pixel_terms import masked_mean, pixel_ce, safe_label, valid_mask

NAL_MODES = ('nal', 'baseline', 'er', 'bs')
BS_REGIONS = ('unreliable', 'reliable', 'all')


def nal_sigma(cos_scores: Tensor,
              label: Tensor,
              gamma: float = 7.0,
              ignore_index: int = 255) -> Tensor:
    """Confidence ``σ = (D_{c*} / max_c D_c)^γ`` with ``D_c = 1 + s_c``.

    σ = 1 exactly where ``c*`` is the top class (and carries no gradient
    there); ignored pixels get 0. ``D`` uses the raw cosine, not τ·s.

    Args:
        cos_scores (Tensor): (B, C, H, W) cosine scores in [-1, 1].
        label (Tensor): (B, H, W) labels ``c*`` (Y_crf).
        gamma (float): exponent γ. Default: 7.0.
        ignore_index (int): ignored label. Default: 255.

    Returns:
        Tensor: (B, H, W) float σ in [0, 1].
    """
    corr = 1.0 + cos_scores.float()
    target = corr.gather(1, safe_label(label, ignore_index)[:, None])[:, 0]
    # max_c D_c > 0 unless every class has s_c = -1; the clamp only guards
    # that degenerate case.
    alpha = target / corr.max(dim=1).values.clamp(min=1e-12)
    sigma = alpha.pow(gamma)
    return torch.where(
        valid_mask(label, ignore_index), sigma, torch.zeros_like(sigma))


def sigma_weighted_mean(values: Tensor, sigma: Tensor,
                        region: Tensor) -> Tensor:
    """``Σ_{region} σ·v / Σ_{region} σ``; 0 when the region is empty or its
    σ sum is 0 (no NaN in the value or the gradient).

    Gradients flow into both ``values`` and ``sigma`` (through the numerator
    and the normaliser: ∂/∂σ(p) = (v(p) - L) / Σσ).
    """
    zeros = torch.zeros_like(sigma)
    sigma = torch.where(region, sigma, zeros)
    num = (sigma * torch.where(region, values, zeros)).sum()
    den = sigma.sum()
    ok = den > 0
    safe_den = torch.where(ok, den, torch.ones_like(den))
    return torch.where(ok, num / safe_den, torch.zeros_like(num))


def reliable_ce(logits: Tensor,
                label: Tensor,
                reliable: Tensor,
                ignore_index: int = 255) -> Tensor:
    """``L_ce``: CE toward ``label`` averaged over the reliable, labelled
    pixels of the whole batch (0 when there are none)."""
    region = reliable & valid_mask(label, ignore_index)
    return masked_mean(pixel_ce(logits, label, ignore_index), region)


def noise_aware_loss(cos_scores: Tensor,
                     label: Tensor,
                     reliable: Tensor,
                     gamma: float = 7.0,
                     lam: float = 0.1,
                     temperature: float = 20.0,
                     ignore_index: int = 255,
                     detach_sigma: bool = False,
                     logits: Optional[Tensor] = None) -> Dict[str, Tensor]:
    """NAL of BANA, callable in isolation.

    Args:
        cos_scores (Tensor): (B, C, H, W) raw cosine scores ``s`` at the
            label size.
        label (Tensor): (B, H, W) Y_crf (``ignore_index`` = ignored).
        reliable (Tensor): (B, H, W) bool, S (Y_crf = Y_ret), e.g.
            ``mask_fin != 255`` or ``label == y_ret``.
        gamma (float): σ exponent γ. Default: 7.0.
        lam (float): weight λ of ``L_wce``. Default: 0.1.
        temperature (float): τ; the logits are ``τ·s`` unless ``logits`` is
            given. Default: 20.0.
        ignore_index (int): ignored label. Default: 255.
        detach_sigma (bool): treat σ as a constant. Default: False
            (official: gradients flow through σ).
        logits (Tensor, optional): (B, C, H, W) logits for ``H`` (the
            dot-product variant); default ``τ·s``.

    Returns:
        dict[str, Tensor]: ``loss`` (L_ce + λ·L_wce), ``loss_ce``,
        ``loss_wce`` (unweighted), ``sigma`` (B, H, W; 0 at ignored pixels)
        and ``unreliable`` (the bool ~S mask).
    """
    if logits is None:
        logits = temperature * cos_scores
    ce = pixel_ce(logits, label, ignore_index)
    valid = valid_mask(label, ignore_index)
    loss_ce = masked_mean(ce, reliable & valid)
    unreliable = ~reliable & valid
    sigma = nal_sigma(cos_scores, label, gamma, ignore_index)
    weight = sigma.detach() if detach_sigma else sigma
    loss_wce = sigma_weighted_mean(ce, weight, unreliable)
    return dict(
        loss=loss_ce + lam * loss_wce,
        loss_ce=loss_ce,
        loss_wce=loss_wce,
        sigma=sigma,
        unreliable=unreliable)


@MODELS.register_module()
class NoiseAwareLoss(nn.Module):
    """BANA's noise-aware loss and its ablations (supplement).

    A decode loss for :class:`CosineSegHead` / :class:`CosineASPPHead`,
    which call it as ``loss(seg_logits, seg_label, ignore_index=...,
    reliable_mask=..., cos_scores=...)``: ``seg_logits`` (B, C, H, W) are
    the logits (τ·s), ``seg_label`` (B, H, W) Y_crf, ``reliable_mask``
    (B, H, W) bool the region S and ``cos_scores`` the raw cosine map s,
    all at the label size. Without ``cos_scores``, ``s = seg_logits / τ``.

    Modes (``L = L_ce + lam·term``, L_ce = CE on S):

    - ``'nal'``: term = L_wce, σ-weighted CE on ~S (the method).
    - ``'baseline'``: no term (CE on S only, ~S ignored).
    - ``'er'``: term = entropy of H on ~S.
    - ``'bs'``: term = bootstrapped CE on ``bs_region`` with β going from 1
      to 0 as ``(1 - iter / bs_max_iters)^bs_power`` (the iteration is the
      runner's, read from mmengine's ``MessageHub``).

    Args:
        mode (str): one of ``'nal'``, ``'baseline'``, ``'er'``, ``'bs'``.
            Default: ``'nal'``.
        gamma (float): σ exponent γ. Default: 7.0 (BANA).
        lam (float): weight λ of the second term. Default: 0.1 (BANA; the
            supplement uses 0.1 for ER and BS too).
        temperature (float): τ, used only to recover ``s`` from the logits
            when no ``cos_scores`` are passed. Default: 20.0.
        detach_sigma (bool): no gradient through σ. Default: False
            (official code).
        bs_max_iters (int, optional): iterations over which β decays; None:
            the runner's ``max_iters``. Default: None.
        bs_power (float): power of β's poly decay. Default: 0.9 (not given
            by the paper; the lr schedule's power).
        bs_region (str): region of L_BS: ``'unreliable'`` (~S, default; the
            supplement writes S, read as a typo), ``'reliable'`` or
            ``'all'``.
        bs_detach_target (bool): detach H inside the bootstrap target.
            Default: True.
        loss_weight (float): multiplier of the total. Default: 1.0.
        ignore_index (int): ignored label when the caller passes none.
            Default: 255.
        loss_name (str): key in the loss dict (starts with ``loss_``).
            Default: ``'loss_nal'``.
    """
    # the cosine heads pass ``reliable_mask`` / ``cos_scores`` to losses
    # that declare this
    needs_reliable_mask = True

    def __init__(self,
                 mode: str = 'nal',
                 gamma: float = 7.0,
                 lam: float = 0.1,
                 temperature: float = 20.0,
                 detach_sigma: bool = False,
                 bs_max_iters: Optional[int] = None,
                 bs_power: float = 0.9,
                 bs_region: str = 'unreliable',
                 bs_detach_target: bool = True,
                 loss_weight: float = 1.0,
                 ignore_index: int = 255,
                 loss_name: str = 'loss_nal') -> None:
        super().__init__()
        if mode not in NAL_MODES:
            raise ValueError(f'mode must be one of {NAL_MODES}, got {mode!r}')
        if bs_region not in BS_REGIONS:
            raise ValueError(
                f'bs_region must be one of {BS_REGIONS}, got {bs_region!r}')
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        if gamma < 0 or lam < 0:
            raise ValueError(
                f'gamma and lam must be >= 0, got {gamma} and {lam}')
        if not loss_name.startswith('loss_'):
            raise ValueError(
                f'loss_name must start with "loss_", got {loss_name!r}')
        self.mode = mode
        self.gamma = gamma
        self.lam = lam
        self.temperature = temperature
        self.detach_sigma = detach_sigma
        self.bs_max_iters = bs_max_iters
        self.bs_power = bs_power
        self.bs_region = bs_region
        self.bs_detach_target = bs_detach_target
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        """Key of the loss in the loss dict."""
        return self._loss_name

    def current_beta(self) -> float:
        """β of the bootstrapping mode at the runner's current iteration
        (1 before training, i.e. without a runner's ``MessageHub`` info)."""
        hub = MessageHub.get_current_instance()
        iteration = hub.get_info('iter', 0)
        max_iters = self.bs_max_iters or hub.get_info('max_iters', None)
        if max_iters is None:
            return 1.0
        return poly_beta(iteration, max_iters, self.bs_power)

    def forward(self,
                seg_logits: Tensor,
                seg_label: Tensor,
                weight: Optional[Tensor] = None,
                ignore_index: Optional[int] = None,
                reliable_mask: Optional[Tensor] = None,
                cos_scores: Optional[Tensor] = None,
                return_terms: bool = False):
        """Compute the loss.

        Args:
            seg_logits (Tensor): (B, C, H, W) logits at the label size.
            seg_label (Tensor): (B, H, W) Y_crf.
            weight (Tensor, optional): mmseg's pixel-sampler weight; not
                supported (must be None).
            ignore_index (int, optional): ignored label; default the
                module's.
            reliable_mask (Tensor): (B, H, W) bool region S. Required.
            cos_scores (Tensor, optional): (B, C, H, W) raw cosine scores;
                default ``seg_logits / temperature``.
            return_terms (bool): also return the detached terms for
                logging. Default: False.

        Returns:
            Tensor | tuple[Tensor, dict]: the scalar loss (times
            ``loss_weight``) and, with ``return_terms``, a dict ``ce``,
            ``<second term>`` and for NAL ``sigma`` (mean σ over ~S) and
            ``unreliable`` (fraction of labelled pixels in ~S).
        """
        if weight is not None:
            raise NotImplementedError(
                'NoiseAwareLoss does not support pixel weights (mmseg '
                'sampler); set the head\'s sampler=None.')
        if reliable_mask is None:
            raise ValueError(
                'NoiseAwareLoss needs reliable_mask (the region where Y_crf '
                '= Y_ret). Use it with CosineSegHead / CosineASPPHead and a '
                'pipeline with LoadPseudoLabelPair + PackPseudoLabelPair.')
        ignore = self.ignore_index if ignore_index is None else ignore_index
        if cos_scores is None:
            cos_scores = seg_logits / self.temperature
        reliable = reliable_mask.bool()
        label = seg_label.long()
        valid = valid_mask(label, ignore)
        unreliable = ~reliable & valid
        terms = {}
        if self.mode == 'nal':
            out = noise_aware_loss(
                cos_scores,
                label,
                reliable,
                gamma=self.gamma,
                lam=self.lam,
                ignore_index=ignore,
                detach_sigma=self.detach_sigma,
                logits=seg_logits)
            loss = out['loss']
            terms = dict(
                ce=out['loss_ce'],
                wce=out['loss_wce'],
                sigma=masked_mean(out['sigma'], unreliable))
        else:
            loss_ce = reliable_ce(seg_logits, label, reliable, ignore)
            loss = loss_ce
            terms = dict(ce=loss_ce)
            if self.mode == 'er':
                term = entropy_regularization(seg_logits, unreliable)
                loss = loss + self.lam * term
                terms['er'] = term
            elif self.mode == 'bs':
                region = dict(
                    unreliable=unreliable,
                    reliable=reliable & valid,
                    all=valid)[self.bs_region]
                beta = self.current_beta()
                term = bootstrapping_loss(seg_logits, label, region, beta,
                                          ignore, self.bs_detach_target)
                loss = loss + self.lam * term
                terms['bs'] = term
                terms['beta'] = loss.new_tensor(beta)
        loss = self.loss_weight * loss
        if not return_terms:
            return loss
        terms['unreliable'] = unreliable.sum() / valid.sum().clamp(min=1)
        return loss, {k: v.detach() for k, v in terms.items()}
