"""AEFT's triplet on erased images: attract an image to its erased copy,
repel its low-confidence residual from an image with no shared class.

Yoon, Kweon, Cho, Kim, Yoon, "Adversarial Erasing Framework via Triplet with
Gated Pyramid Pooling Layer for Weakly Supervised Semantic Segmentation",
ECCV 2022, doi:10.1007/978-3-031-19818-2_19; official code
https://github.com/KAIST-vilab/AEFT.
"""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from mmwsss.registry import MODELS
from ..utils import minmax_normalize


def sample_negatives(labels: Tensor,
                     generator: Optional[torch.Generator] = None) -> Tensor:
    """For every anchor, a uniformly random in-batch index whose label set
    is disjoint from the anchor's (never the anchor itself); -1 where the
    batch has none (such anchors are skipped; the official
    code crashes on them)."""
    disjoint = (labels @ labels.t()) == 0
    disjoint.fill_diagonal_(False)
    scores = torch.rand(disjoint.shape, generator=generator)
    scores = scores.to(labels.device).masked_fill(~disjoint, -1.0)
    negatives = scores.argmax(dim=1)
    return negatives.masked_fill(~disjoint.any(dim=1), -1)


def attraction_embedding(maps: Tensor, labels: Tensor) -> Tensor:
    """``e = y ⊙ GAP(P̂⁺)`` (B, K): the positive part of the embedding map,
    averaged over space, kept for the image's classes."""
    return labels * maps.relu().mean(dim=(2, 3))


def attraction_loss(anchor: Tensor, erased: Tensor) -> Tensor:
    """``L_att = mean_bk |e_A − e_P|`` over all B×K entries (L1)."""
    return (anchor - erased).abs().mean()


def maxabs_normalize(maps: Tensor, eps: float = 1e-5) -> Tensor:
    """``F = P̂ / (max_ij |P̂_k| + eps)`` per image and class."""
    peak = maps.abs().flatten(2).max(dim=2).values[..., None, None]
    return maps / (peak + eps)


def residual_mask(cams: Tensor, labels: Tensor, low_thr: float,
                  eps: float = 1e-5) -> Tensor:
    """``R = [y ⊙ N(f) < t_L]`` at feature resolution (no gradient)."""
    normed = labels[..., None, None] * minmax_normalize(cams, eps)
    return (normed < low_thr).to(cams.dtype)


def residual_embedding(cams: Tensor,
                       maps: Tensor,
                       labels: Tensor,
                       low_thr: float,
                       eps: float = 1e-5) -> Tensor:
    """``e_AL,k = y_k Σ_ij R_k F_k / (Σ_ij R_k + eps)`` (Eq. 8): the mean
    normalised embedding over the anchor's low-confidence region."""
    mask = residual_mask(cams, labels, low_thr, eps)
    feats = maxabs_normalize(maps, eps)
    return labels * (mask * feats).sum(dim=(2, 3)) / (
        mask.sum(dim=(2, 3)) + eps)


def negative_embedding(maps: Tensor, labels: Tensor,
                       eps: float = 1e-5) -> Tensor:
    """``e_N = y ⊙ Σ_ij F / (hw + eps)``: the mean normalised embedding of
    every image for its own classes (the official mask ``[Â < 1]`` covers
    the whole map, so it is the mean up to the eps)."""
    feats = maxabs_normalize(maps, eps)
    area = maps.shape[-2] * maps.shape[-1]
    return labels * feats.sum(dim=(2, 3)) / (area + eps)


def repulsion_loss(residual: Tensor,
                   negative: Tensor,
                   margin: float,
                   min_hard_triplets: int = 4
                   ) -> Tuple[Tensor, Tensor, Tensor]:
    """Hard-triplet repulsion.

    ``d_b = ‖e_AL(b) − e_N(n(b))‖²``; hard set ``H = {b : d_b < ε}``;
    ``L_rep = mean_{b∈H} ReLU(ε − d_b)`` when ``|H| > min_hard_triplets``,
    else 0.

    Args:
        residual (Tensor): e_AL of the anchors (B', K).
        negative (Tensor): e_N of their negatives (B', K).

    Returns:
        tuple: the loss, the distances d (B',) and the hard mask (B',).
    """
    dist = (residual - negative).pow(2).sum(dim=1)
    hard = dist < margin
    if int(hard.sum()) > min_hard_triplets:
        loss = (margin - dist[hard]).relu().mean()
    else:
        loss = dist.new_zeros(())
    return loss, dist, hard


@MODELS.register_module()
class TripletErasingLoss(nn.Module):
    """AEFT's attraction + repulsion terms.

    ``L = λ_att · mean|e_A − e_P| + λ_rep · L_rep`` with e_A / e_P the
    :func:`attraction_embedding` of the anchor and of its erased copy, and
    L_rep the :func:`repulsion_loss` between the anchor's
    :func:`residual_embedding` and the :func:`negative_embedding` of an
    in-batch image without a shared class. Gradients reach both embeddings
    of every term; the masks are piecewise constant.

    Used by :class:`AEFTClassifier`, which provides the inputs: ``cams``
    (f of the anchors), ``labels``, the anchors' embedding map (key
    ``embedding``), ``erased`` (the erased images' training outputs, holding
    the same key) and ``negatives`` (indices, -1 = none).

    Args:
        attract_weight (float): λ_att. Default: 0.2.
        repel_weight (float): λ_rep. Default: 0.15.
        margin (float): ε (VOC 0.5, COCO 0.1). Default: 0.5.
        low_thr (float): t_L of the residual mask (VOC 0.2, COCO 0.1).
            Default: 0.2.
        min_hard_triplets (int): the repulsion is applied only when more
            than this many triplets are hard (official code). Default: 4.
        embedding (str): the map the embeddings pool: ``'gpp_map'`` (P̂,
            the method) or ``'cams'`` (f, the supplement's "AEFT without
            GPP"). Default: 'gpp_map'.
        eps (float): the normalisers' epsilon. Default: 1e-5.
        loss_name (str): prefix of the two loss keys. Default: 'loss_aeft'.
    """

    def __init__(self,
                 attract_weight: float = 0.2,
                 repel_weight: float = 0.15,
                 margin: float = 0.5,
                 low_thr: float = 0.2,
                 min_hard_triplets: int = 4,
                 embedding: str = 'gpp_map',
                 eps: float = 1e-5,
                 loss_name: str = 'loss_aeft'):
        super().__init__()
        if margin <= 0 or not 0 < low_thr <= 1 or min_hard_triplets < 0:
            raise ValueError(
                'TripletErasingLoss needs margin > 0, 0 < low_thr <= 1 and '
                f'min_hard_triplets >= 0, got {margin}, {low_thr}, '
                f'{min_hard_triplets}')
        if not loss_name.startswith('loss_'):
            raise ValueError(f'loss_name must start with "loss_", got '
                             f'"{loss_name}"')
        self.attract_weight = attract_weight
        self.repel_weight = repel_weight
        self.margin = margin
        self.low_thr = low_thr
        self.min_hard_triplets = min_hard_triplets
        self.embedding = embedding
        self.eps = eps
        self._loss_name = loss_name
        self.inputs = tuple(
            dict.fromkeys(
                ('cams', 'labels', embedding, 'erased', 'negatives')))

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def terms(self, cams: Tensor, labels: Tensor, anchor_maps: Tensor,
              erased_maps: Tensor, negatives: Tensor) -> Dict[str, Tensor]:
        """All intermediate quantities of the two terms, unweighted."""
        e_anchor = attraction_embedding(anchor_maps, labels)
        e_erased = attraction_embedding(erased_maps, labels)
        valid = negatives >= 0
        residual = residual_embedding(cams, anchor_maps, labels,
                                      self.low_thr, self.eps)
        negative = negative_embedding(anchor_maps, labels, self.eps)
        repel, dist, hard = repulsion_loss(
            residual[valid], negative[negatives[valid]], self.margin,
            self.min_hard_triplets)
        return dict(
            e_anchor=e_anchor,
            e_erased=e_erased,
            attract=attraction_loss(e_anchor, e_erased),
            residual=residual,
            negative=negative,
            distances=dist,
            hard=hard,
            repel=repel)

    def forward(self, **inputs) -> Dict[str, Tensor]:
        """Weighted ``<loss_name>_attract`` and ``<loss_name>_repel``, plus
        the number of hard triplets (logged, not summed)."""
        terms = self.terms(inputs['cams'], inputs['labels'],
                           inputs[self.embedding],
                           inputs['erased'][self.embedding],
                           inputs['negatives'])
        return {
            f'{self.loss_name}_attract': self.attract_weight *
            terms['attract'],
            f'{self.loss_name}_repel': self.repel_weight * terms['repel'],
            'aeft_hard_triplets': terms['hard'].sum().float(),
        }
