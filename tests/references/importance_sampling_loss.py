"""Expected value of the importance sampling loss over the draw, for the
tests: the sampled loss is an unbiased estimate of it."""
from typing import Optional

import torch.nn.functional as F
from torch import Tensor

from mmwsss.models.losses.importance_sampling_loss import (
    isl_class_logits,
    isl_sampling_distribution,
)


def expected_importance_sampling_loss(scores: Tensor,
                                      labels: Tensor,
                                      variant: str = 'binomial',
                                      background_index: Optional[int] = None,
                                      eps: float = 1e-5) -> Tensor:
    """Deterministic expectation of the ISL over the draw, ``q`` held fixed.

    ``E_q[ISL] = 1/(N·K) Σ_{n,c} Σ_i q_{n,c}(i) BCE(z_{n,c,i}, y_{n,c})``;
    its gradient wrt a binomial logit is ``q (sigmoid(s) - y) / (N·K)``,
    of which the sampled loss is an unbiased estimate. It does
    not depend on the number of samples.

    Returns:
        Tensor: scalar.
    """
    q = isl_sampling_distribution(scores, variant, background_index, eps)
    z = isl_class_logits(scores, variant, background_index).flatten(2)
    target = labels.to(z.dtype)[:, :, None].expand_as(z)
    bce = F.binary_cross_entropy_with_logits(z, target, reduction='none')
    return (q.to(z.dtype) * bce).sum(dim=2).mean()
