"""The ablation losses of BANA's supplement that replace the noise-aware
term: entropy regularisation and bootstrapping (with its β schedule).

Oh, Kim, Ham, "Background-Aware Pooling and Noise-Aware Loss for
Weakly-Supervised Semantic Segmentation", CVPR 2021, arXiv:2104.00905;
official code https://github.com/cvlab-yonsei/BANA.
"""
import torch.nn.functional as F
from torch import Tensor

from .pixel_terms import masked_mean, safe_label, valid_mask


def entropy_regularization(logits: Tensor, region: Tensor) -> Tensor:
    """``L_ER = -1/|R| Σ_{p∈R} Σ_c H_c log H_c`` (R = ~S)."""
    log_prob = F.log_softmax(logits.float(), dim=1)
    entropy = -(log_prob.exp() * log_prob).sum(dim=1)
    return masked_mean(entropy, region)


def bootstrapping_loss(logits: Tensor,
                       label: Tensor,
                       region: Tensor,
                       beta: float,
                       ignore_index: int = 255,
                       detach_target: bool = True) -> Tensor:
    """``L_BS = -1/|R| Σ_{p∈R} Σ_c Y_c log H_c`` with
    ``Y = β·onehot(label) + (1-β)·H``.

    Args:
        logits (Tensor): (B, C, H, W) logits.
        label (Tensor): (B, H, W) labels (Y_crf).
        region (Tensor): (B, H, W) bool region R (ignored pixels are
            dropped from it).
        beta (float): weight of the label in the target, in [0, 1].
        ignore_index (int): ignored label. Default: 255.
        detach_target (bool): no gradient through the ``H`` inside the
            target (usual bootstrapping). Default: True.
    """
    log_prob = F.log_softmax(logits.float(), dim=1)
    prob = log_prob.exp()
    if detach_target:
        prob = prob.detach()
    onehot = F.one_hot(safe_label(label, ignore_index),
                       logits.shape[1]).permute(0, 3, 1, 2).to(prob)
    target = beta * onehot + (1.0 - beta) * prob
    per_pixel = -(target * log_prob).sum(dim=1)
    return masked_mean(per_pixel, region & valid_mask(label, ignore_index))


def poly_beta(iteration: int, max_iters: int, power: float = 0.9) -> float:
    """β of bootstrapping: ``(1 - t/T)^power`` from 1 (t = 0) to 0 (t ≥ T).
    """
    if max_iters <= 0:
        return 0.0
    return max(0.0, 1.0 - iteration / max_iters)**power
