"""Per-pixel loss terms over label maps with an ignore index, shared by the
noise-aware loss and its ablations: valid pixels, gatherable labels,
masked means and the per-pixel cross-entropy."""
import torch
import torch.nn.functional as F
from torch import Tensor


def valid_mask(label: Tensor, ignore_index: int) -> Tensor:
    """Pixels whose label is not ``ignore_index``."""
    return label != ignore_index


def safe_label(label: Tensor, ignore_index: int) -> Tensor:
    """Labels usable as gather indices (ignored pixels -> class 0)."""
    return torch.where(valid_mask(label, ignore_index), label,
                       torch.zeros_like(label)).long()


def masked_mean(values: Tensor, mask: Tensor) -> Tensor:
    """Mean of ``values`` over ``mask``; 0 (with a zero gradient) when the
    mask is empty."""
    total = torch.where(mask, values, torch.zeros_like(values)).sum()
    return total / mask.sum().clamp(min=1)


def pixel_ce(logits: Tensor, label: Tensor,
             ignore_index: int = 255) -> Tensor:
    """Per-pixel ``-log H_{c*}`` (B, H, W); 0 at ignored pixels.

    Args:
        logits (Tensor): (B, C, H, W) class logits (τ·s for the cosine
            classifier).
        label (Tensor): (B, H, W) integer labels.
        ignore_index (int): ignored label. Default: 255.
    """
    log_prob = F.log_softmax(logits.float(), dim=1)
    nll = -log_prob.gather(1, safe_label(label, ignore_index)[:, None])[:, 0]
    return torch.where(
        valid_mask(label, ignore_index), nll, torch.zeros_like(nll))
