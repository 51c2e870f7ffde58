"""Dense reference of the feature similarity loss, for the tests and
``tools/analysis/benchmark_losses.py``: every pair tensor, plain autograd."""
from typing import Optional

import torch
from torch import Tensor

from mmwsss.models.losses.fsl_kernel import (
    FSL_EPS,
    check_fsl_args,
    spatial_weight,
)


def dense_feature_similarity_loss(pred: Tensor,
                                  guide: Tensor,
                                  mu: float = 2.5,
                                  sigma: Optional[float] = 5.0,
                                  window: Optional[float] = None,
                                  window_shape: str = 'square') -> Tensor:
    """Dense reference FSL: every (N, h·w, h·w) pair tensor, plain autograd.

    A literal transcription of hfpl's FSL (``tanh``/``log`` dissimilarity,
    Gaussian of the pixel distance, ½ squared prediction distance), as the
    official code does it. Memory O(N·(h·w)²) — several GiB at 112×112.
    """
    check_fsl_args(pred, guide, sigma, window, window_shape)
    n, c, h, w = pred.shape
    hw = h * w
    x = guide.detach().to(pred.dtype).clamp(0, 1).reshape(n, 3, hw)
    x = x.transpose(1, 2)
    delta = (torch.cdist(x, x, p=1) / 3).clamp(0, 1)
    f = torch.tanh(mu + torch.log(
        (delta + FSL_EPS) / (1 - delta + FSL_EPS)))
    rr, cc = torch.meshgrid(
        torch.arange(h, dtype=pred.dtype, device=pred.device),
        torch.arange(w, dtype=pred.dtype, device=pred.device),
        indexing='ij')
    pos = torch.stack([rr.reshape(-1), cc.reshape(-1)], dim=1)
    diff = pos[:, None, :] - pos[None, :, :]
    sq = (diff * diff).sum(-1)
    weight = spatial_weight(sq, sigma, hw)
    if window is not None:
        if window_shape == 'square':
            inside = diff.abs().amax(-1) <= window
        else:
            inside = sq <= window * window
        weight = weight * inside
    y = pred.reshape(n, c, hw)
    norm2 = (y * y).sum(1)
    gram = torch.bmm(y.transpose(1, 2), y)
    pred_dist = 0.5 * (norm2[:, :, None] + norm2[:, None, :] - 2 * gram)
    return -(weight * f * pred_dist).sum() / (n * hw)
