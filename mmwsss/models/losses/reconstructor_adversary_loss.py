"""ACR's reconstructor update (RU) and classifier update (CU) losses.

Kweon, Yoon, Yoon, "Weakly Supervised Semantic Segmentation via Adversarial
Learning of Classifier and Reconstructor", CVPR 2023; official code
sangrockEG/ACR (``training_step`` of ``models/exp_recon_cvpr23.py``), whose
terms and weights are the defaults. Notation: I image, y labels, t target
class, A_t target CAM (:func:`target_cam`), A_nt = 1 − A_t, E SRF hidden map,
X↑ the reconstructor features bilinearly upsampled to H×W, G_D the decoder,
L1w the masked L1 (:func:`masked_l1`), BCE the mean BCE-with-logits of the
GAP of the class maps. Subscripts name the side whose features go into the
decoder: Î_t is rebuilt from the target side and judged on the non-target
region, Î_nt the other way round.

Returned dicts: the weighted totals ``loss_ru`` / ``loss_cu`` (what is
back-propagated) and the unweighted terms under names without ``loss`` in
them, so mmengine's ``parse_losses`` logs them without adding them to the
total. A term whose weight is 0 is not computed (no decoder call) and is
reported as 0.
"""
from typing import Callable, Dict, Optional

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmwsss.registry import MODELS
from .acr_terms import masked_l1, srf_hidden_map, target_cam

Decoder = Callable[[Tensor], Tensor]
RU_WEIGHTS = dict(cls=1.0, full=0.2, t=0.5, nt=0.3)
CU_WEIGHTS = dict(cls=1.0, t=0.8, nt=0.3)


def _upsample(feat: Tensor, img: Tensor) -> Tensor:
    return F.interpolate(
        feat, size=img.shape[-2:], mode='bilinear', align_corners=False)


def _gap_bce(cam_logits: Tensor, labels: Tensor) -> Tensor:
    return F.binary_cross_entropy_with_logits(
        cam_logits.mean(dim=(2, 3)), labels.to(cam_logits.dtype))


def ru_losses(decoder: Decoder, img: Tensor, labels: Tensor,
              target_onehot: Tensor, hidden_cells: Tensor,
              cls_cam_logits: Tensor, rec_cam_logits: Tensor,
              rec_feat: Tensor, *, cls_weight: float = 1.0,
              full_weight: float = 0.2, lambda_t: float = 0.5,
              lambda_nt: float = 0.3, min_visible: float = 50
              ) -> Dict[str, Tensor]:
    """Reconstructor-update loss (trains the reconstructor G only)::

        L_RU = cls_weight · BCE(GAP(M^G), y)
             + full_weight · mean|G_D(sg(X↑)) − I|
             + λ_t  · L1w(G_D(X↑ ⊙ (1 − E⊙A_nt)), I, E⊙A_nt)
             + λ_nt · v · L1w(G_D(X↑ ⊙ (1 − E⊙A_t)),  I, E⊙A_t)

    A_t comes from the classifier's class maps and is a constant here; the
    full-image term sees stop-gradient features, so it trains the decoder
    only. ``v`` keeps the images with ``Σ(1 − E⊙A_t) > min_visible`` pixels;
    that term is the mean over the kept images (0 if none).

    Args:
        decoder (callable): G_D, features (B, d, H, W) -> image (B, 3, H, W).
        img (Tensor): normalised images I (B, 3, H, W).
        labels (Tensor): multi-hot labels (B, C).
        target_onehot (Tensor): one-hot target classes (B, C).
        hidden_cells (Tensor): SRF cells (B, 1, s, s), 1 = hidden.
        cls_cam_logits (Tensor): the classifier's class maps (B, C, h, w).
        rec_cam_logits (Tensor): the reconstructor's aux class maps.
        rec_feat (Tensor): X (B, d, h, w).
        cls_weight, full_weight, lambda_t, lambda_nt (float): weights
            (official: 1.0, 0.2, 0.5, 0.3; the supplement has neither the
            BCE nor the full-image term: set both weights to 0).
        min_visible (float): the gate's pixel count. Default: 50.

    Returns:
        dict: ``rec_cls``, ``rec_full``, ``rec_t``, ``rec_nt`` and
        ``loss_ru``.
    """
    size = img.shape[-2:]
    a_t = target_cam(cls_cam_logits.detach(), labels, target_onehot, size)
    hidden = srf_hidden_map(hidden_cells, size).to(a_t.dtype)
    x_up = _upsample(rec_feat, img)
    w_t = hidden * (1 - a_t)  # hidden non-target region, judges Î_t
    w_nt = hidden * a_t  # hidden target region, judges Î_nt
    zero = img.new_zeros(())
    terms = dict(rec_cls=_gap_bce(rec_cam_logits, labels))
    # decoder calls in the official order (matters for dropout draws)
    terms['rec_full'] = (decoder(x_up.detach()) - img).abs().mean() \
        if full_weight else zero
    if lambda_nt:
        per_image = masked_l1(
            decoder(x_up * (1 - w_nt)), img, w_nt, per_sample=True)
        keep = (1 - w_nt).flatten(1).sum(dim=1) > min_visible
        kept = per_image.where(keep, per_image.new_zeros(()))
        terms['rec_nt'] = kept.sum() / keep.sum().clamp(min=1)
    else:
        terms['rec_nt'] = zero
    terms['rec_t'] = masked_l1(decoder(x_up * (1 - w_t)), img, w_t) \
        if lambda_t else zero
    terms['loss_ru'] = (cls_weight * terms['rec_cls'] +
                        full_weight * terms['rec_full'] +
                        lambda_t * terms['rec_t'] +
                        lambda_nt * terms['rec_nt'])
    return terms


def cu_losses(decoder: Decoder, img: Tensor, labels: Tensor,
              target_onehot: Tensor, cls_cam_logits: Tensor,
              rec_feat: Tensor, *, cls_weight: float = 1.0,
              lambda_t: float = 0.8, lambda_nt: float = 0.3
              ) -> Dict[str, Tensor]:
    """Classifier-update loss (trains the classifier F only; F maximises the
    reconstruction error of the other segment)::

        L_CU = cls_weight · BCE(GAP(M), y)
             − λ_t  · L1w(G_D(X↑ ⊙ A_t),  I, 1[A_t = 0])
             − λ_nt · L1w(G_D(X↑ ⊙ A_nt), I, sg(A_t) ⊙ 1[winner = t])

    with ``winner = argmax_c bilinear(M, H×W)_c`` over all C raw logits.
    A_t is differentiable (through N's max and min) inside the decoder
    inputs; both loss masks and X↑ are constants. The decoder's parameters
    do receive gradients: freeze them (``requires_grad_(False)``) or clear
    them before the reconstructor update.

    Args:
        decoder (callable): G_D.
        img, labels, target_onehot: as in :func:`ru_losses`.
        cls_cam_logits (Tensor): the classifier's class maps M (B, C, h, w).
        rec_feat (Tensor): the reconstructor's X (B, d, h, w).
        cls_weight, lambda_t, lambda_nt (float): weights (official VOC:
            1.0, 0.8, 0.3; COCO supplement: λ 0.3, 0.2).

    Returns:
        dict: ``cls``, ``adv_t``, ``adv_nt`` and ``loss_cu``.
    """
    size = img.shape[-2:]
    a_t = target_cam(cls_cam_logits, labels, target_onehot, size)
    x_up = _upsample(rec_feat.detach(), img)
    zero = img.new_zeros(())
    terms = dict(cls=_gap_bce(cls_cam_logits, labels))
    if lambda_t:
        hard_bg = (a_t.detach() == 0).to(a_t.dtype)
        terms['adv_t'] = masked_l1(decoder(x_up * a_t), img, hard_bg)
    else:
        terms['adv_t'] = zero
    if lambda_nt:
        winner = _upsample(cls_cam_logits.detach(), img).argmax(
            dim=1, keepdim=True)
        is_t = winner == target_onehot.argmax(dim=1)[:, None, None, None]
        soft_fg = a_t.detach() * is_t.to(a_t.dtype)
        terms['adv_nt'] = masked_l1(decoder(x_up * (1 - a_t)), img, soft_fg)
    else:
        terms['adv_nt'] = zero
    terms['loss_cu'] = (cls_weight * terms['cls'] -
                        lambda_t * terms['adv_t'] -
                        lambda_nt * terms['adv_nt'])
    return terms


@MODELS.register_module()
class ReconstructorAdversaryLoss(nn.Module):
    """ACR's two adversarial objectives with their weights (no parameters).

    Args:
        ru_weights (dict, optional): ``cls``, ``full``, ``t``, ``nt`` of
            :func:`ru_losses`; missing keys keep the official VOC values
            ``dict(cls=1.0, full=0.2, t=0.5, nt=0.3)``. The supplement's
            variant: ``cls=0, full=0``; COCO (supplement): ``t=0.2, nt=0.2``.
        cu_weights (dict, optional): ``cls``, ``t``, ``nt`` of
            :func:`cu_losses`; default ``dict(cls=1.0, t=0.8, nt=0.3)``
            (COCO: ``t=0.3, nt=0.2``). All reconstruction weights 0 give the
            plain CAM baseline.
        min_visible (float): RU gate pixel count. Default: 50.
    """

    def __init__(self,
                 ru_weights: Optional[dict] = None,
                 cu_weights: Optional[dict] = None,
                 min_visible: float = 50):
        super().__init__()
        self.ru_weights = self._merge('ru_weights', RU_WEIGHTS, ru_weights)
        self.cu_weights = self._merge('cu_weights', CU_WEIGHTS, cu_weights)
        self.min_visible = min_visible

    @staticmethod
    def _merge(name: str, defaults: dict, given: Optional[dict]) -> dict:
        given = dict(given or {})
        unknown = sorted(set(given) - set(defaults))
        if unknown:
            raise ValueError(
                f'ReconstructorAdversaryLoss: unknown {name} keys {unknown}; '
                f'allowed: {sorted(defaults)}')
        return {k: float(given.get(k, v)) for k, v in defaults.items()}

    def ru(self, decoder: Decoder, img: Tensor, labels: Tensor,
           target_onehot: Tensor, hidden_cells: Tensor,
           cls_cam_logits: Tensor, rec_cam_logits: Tensor,
           rec_feat: Tensor) -> Dict[str, Tensor]:
        """:func:`ru_losses` with this module's weights."""
        w = self.ru_weights
        return ru_losses(
            decoder, img, labels, target_onehot, hidden_cells,
            cls_cam_logits, rec_cam_logits, rec_feat,
            cls_weight=w['cls'], full_weight=w['full'], lambda_t=w['t'],
            lambda_nt=w['nt'], min_visible=self.min_visible)

    def cu(self, decoder: Decoder, img: Tensor, labels: Tensor,
           target_onehot: Tensor, cls_cam_logits: Tensor,
           rec_feat: Tensor) -> Dict[str, Tensor]:
        """:func:`cu_losses` with this module's weights."""
        w = self.cu_weights
        return cu_losses(
            decoder, img, labels, target_onehot, cls_cam_logits, rec_feat,
            cls_weight=w['cls'], lambda_t=w['t'], lambda_nt=w['nt'])
