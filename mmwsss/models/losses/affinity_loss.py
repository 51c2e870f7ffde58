"""AffinityNet's loss: cross-entropy of pair affinities against pair labels,
balanced between background, foreground and negative pairs."""
from typing import Dict, Sequence

import torch
import torch.nn as nn
from torch import Tensor

from mmwsss.registry import MODELS


@MODELS.register_module()
class AffinityLoss(nn.Module):
    """Balanced affinity cross-entropy of AffinityNet.

    Ahn and Kwak, "Learning Pixel-level Semantic Affinity with Image-level
    Supervision for Weakly Supervised Semantic Segmentation", CVPR 2018,
    arXiv:1803.10464, https://github.com/jiwoon-ahn/psa (``train_aff.py``;
    identical in AEFT, https://github.com/KAIST-vilab/AEFT, and hfpl,
    https://github.com/arvijj/hfpl).

    Over the whole batch (not per image), with 0/1 pair labels and
    affinities a in (0, 1]:

        n_bg  = sum bg_pos + eps,  n_fg = sum fg_pos + eps,
        n_neg = sum neg + eps
        L_bg  = sum bg_pos * -log(a + eps) / n_bg
        L_fg  = sum fg_pos * -log(a + eps) / n_fg
        L_neg = sum neg * -log(1 + eps - a) / n_neg
        L     = w_bg L_bg + w_fg L_fg + w_neg L_neg,  w = (1/4, 1/4, 1/2)

    An empty label set contributes 0. The eps sits inside the logs and in
    the counts, as in the official code.

    Returns a dict: the total under ``'loss'`` and, for logging, the terms
    ``aff_bg``, ``aff_fg``, ``aff_neg`` and the counts ``count_bg``,
    ``count_fg``, ``count_neg`` (plain sums, no eps, no gradient); these
    names avoid the substring ``loss`` so mmengine does not add them to the
    total.

    Args:
        weights (Sequence[float]): (w_bg, w_fg, w_neg).
            Default: (0.25, 0.25, 0.5).
        eps (float): Default: 1e-5 (with 0 an empty set divides by 1).
    """

    def __init__(self,
                 weights: Sequence[float] = (0.25, 0.25, 0.5),
                 eps: float = 1e-5) -> None:
        super().__init__()
        weights = tuple(float(w) for w in weights)
        if len(weights) != 3:
            raise ValueError(
                f'weights must be (bg, fg, neg), got {weights}')
        if not eps >= 0:
            raise ValueError(f'eps must be >= 0, got {eps}')
        self.weights = weights
        self.eps = float(eps)

    def forward(self, aff: Tensor, bg_pos: Tensor, fg_pos: Tensor,
                neg: Tensor) -> Dict[str, Tensor]:
        """Args: ``aff`` (B, |D|, n_src) affinities; ``bg_pos``, ``fg_pos``,
        ``neg`` 0/1 labels of the same shape."""
        for name, label in (('bg_pos', bg_pos), ('fg_pos', fg_pos),
                            ('neg', neg)):
            if label.shape != aff.shape:
                raise ValueError(
                    f'{name} has shape {tuple(label.shape)} but the '
                    f'affinities {tuple(aff.shape)}: the pair labels and '
                    'the network must use the same radius, radius rule, '
                    'pair set and crop size')
        eps = self.eps
        pos_log = -torch.log(aff + eps)
        neg_log = -torch.log(1 + eps - aff)
        out = {}
        terms = []
        for name, label, logs in (('bg', bg_pos, pos_log),
                                  ('fg', fg_pos, pos_log),
                                  ('neg', neg, neg_log)):
            label = label.to(aff.dtype)
            count = label.sum()
            denom = count + eps if eps > 0 else count.clamp(min=1)
            term = (label * logs).sum() / denom
            out[f'aff_{name}'] = term
            out[f'count_{name}'] = count.detach()
            terms.append(term)
        total = sum(w * t for w, t in zip(self.weights, terms))
        return dict(loss=total, **out)

    def extra_repr(self) -> str:
        return f'weights={self.weights}, eps={self.eps}'
