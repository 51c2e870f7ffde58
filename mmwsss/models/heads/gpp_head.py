"""GPP head: gated pyramid pooling (AEFT, Yoon et al. ECCV 2022).

Yoon, Kweon, Cho, Kim, Yoon, "Adversarial Erasing Framework via Triplet with
Gated Pyramid Pooling Layer for Weakly Supervised Semantic Segmentation",
ECCV 2022, doi:10.1007/978-3-031-19818-2_19; official code
https://github.com/KAIST-vilab/AEFT. The class map f is pooled into a pyramid
of adaptive average grids, the levels are merged coarse-to-fine by
sign-preserving gates, and the image score correlates f with the merged map P̂.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmwsss.registry import MODELS
from .base_cam_head import BaseCAMHead

_MERGES = ('gated', 'average')
_ORDERS = ('coarse_to_fine', 'fine_to_coarse')
_SCORES = ('signed', 'positive', 'negative')


def pyramid_pool(cams: Tensor, bins: Sequence[int]) -> List[Tensor]:
    """``P_r = Up_{h×w}(AAP_{r×r}(f))`` for every r in ``bins``.

    Adaptive average pooling with PyTorch's bin edges (overlapping windows
    when r does not divide h, repeated cells when h < r), then bilinear
    upsampling (``align_corners=False``) back to the map's size.
    """
    size = cams.shape[-2:]
    return [
        F.interpolate(
            F.adaptive_avg_pool2d(cams, r),
            size=size,
            mode='bilinear',
            align_corners=False) for r in bins
    ]


class GatedMerge(nn.Module):
    """Sign-preserving gated merge of two maps A (merged so far) and B.

    ``α = σ(C⁺ ∗ [A⁺; B⁺])``, ``β = σ(C⁻ ∗ [A⁻; B⁻])`` with x⁺ = ReLU(x),
    x⁻ = ReLU(−x) and C± bias-free 3×3 convs 2K → 2: one spatial gate per
    input map, shared by all K classes. Output
    ``G(A, B) = ½(α₁A⁺ + α₂B⁺) − ½(β₁A⁻ + β₂B⁻)`` (Eq. 2-4).

    Args:
        num_classes (int): K.
        negative_gate (bool): learn β; ``False`` fixes β = 1 (the
            supplement's "β = 1" ablation). Default: True.
    """

    def __init__(self, num_classes: int, negative_gate: bool = True):
        super().__init__()
        self.pos_gate = nn.Conv2d(
            2 * num_classes, 2, 3, padding=1, bias=False)
        self.neg_gate = nn.Conv2d(
            2 * num_classes, 2, 3, padding=1,
            bias=False) if negative_gate else None

    def forward(self, coarse: Tensor,
                fine: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Return the merged map and the gates α, β (each (B, 2, h, w))."""
        pos = (coarse.relu(), fine.relu())
        neg = ((-coarse).relu(), (-fine).relu())
        alpha = torch.sigmoid(self.pos_gate(torch.cat(pos, dim=1)))
        if self.neg_gate is None:
            beta = torch.ones_like(alpha)
        else:
            beta = torch.sigmoid(self.neg_gate(torch.cat(neg, dim=1)))
        merged = 0.5 * (alpha[:, :1] * pos[0] + alpha[:, 1:] * pos[1]) - \
            0.5 * (beta[:, :1] * neg[0] + beta[:, 1:] * neg[1])
        return merged, alpha, beta


@MODELS.register_module()
class GPPHead(BaseCAMHead):
    """Gated pyramid pooling head (AEFT's GPP).

    Class map ``f = W₉ ∗ ReLU(W₈ ∗ x)`` (bias-free 1×1 convs, Xavier-uniform;
    x is the backbone's ReLU(BN(·)) output); pyramid ``P_r`` of
    :func:`pyramid_pool`; merged map ``P̂ = G₃(G₂(G₁(P₂, P₄), P₈), P₁₆)``
    of :class:`GatedMerge`; logits (Eq. 5)
    ``s_k = mean_ij(f⁺ ⊙ P̂⁺)_k − mean_ij(f⁻ ⊙ P̂⁻)_k``.
    The CAM is f (signed, before pooling); P̂ is exposed as ``gpp_map`` for
    AEFT's embeddings.

    Args:
        num_classes (int): K.
        in_channels (int): channels of the selected feature map.
        hidden_channels (int, optional): D of the hidden 1×1 conv (``fc8``);
            ``None`` puts the classifier directly on the features.
            Default: 256.
        pyramid (Sequence[int]): adaptive grid sizes, coarse to fine.
            Default: (2, 4, 8, 16).
        merge (str): ``'gated'`` (the method) or ``'average'`` (plain mean
            of the levels, a poster ablation). Default: 'gated'.
        merge_order (str): ``'coarse_to_fine'`` (the method) or
            ``'fine_to_coarse'`` (ablation). Default: 'coarse_to_fine'.
        negative_gate (bool): ``False`` fixes β = 1 (ablation).
            Default: True.
        score (str): ``'signed'`` (Eq. 5), ``'positive'`` (only the
            f⁺·P̂⁺ term) or ``'negative'`` (only −f⁻·P̂⁻), the supplement's
            ablations. Default: 'signed'.
        in_index (int): which backbone/neck output to use. Default: -1.
        loss_cls (dict): classification loss on the logits.
        init_cfg (dict, optional): default (``None``): Xavier-uniform on the
            1×1 convs while the gate convs keep PyTorch's default init, as in
            the official code.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 hidden_channels: Optional[int] = 256,
                 pyramid: Sequence[int] = (2, 4, 8, 16),
                 merge: str = 'gated',
                 merge_order: str = 'coarse_to_fine',
                 negative_gate: bool = True,
                 score: str = 'signed',
                 in_index: int = -1,
                 loss_cls: dict = dict(type='MultiLabelSoftMarginLoss'),
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        if init_cfg is None:
            convs = ['classifier'] + ([] if hidden_channels is None else
                                      ['hidden'])
            init_cfg = dict(
                type='Xavier',
                distribution='uniform',
                layer=[],
                override=[dict(name=name) for name in convs])
        super().__init__(
            num_classes, in_index=in_index, loss_cls=loss_cls,
            init_cfg=init_cfg)
        if not pyramid or any(int(r) < 1 for r in pyramid):
            raise ValueError(
                f'pyramid must list positive grid sizes, got {pyramid}')
        for name, value, allowed in (('merge', merge, _MERGES),
                                     ('merge_order', merge_order, _ORDERS),
                                     ('score', score, _SCORES)):
            if value not in allowed:
                raise ValueError(f'{name}="{value}" not in {allowed}')
        self.merge = merge
        self.score = score
        bins = tuple(int(r) for r in pyramid)
        self.bins = bins if merge_order == 'coarse_to_fine' else bins[::-1]
        if hidden_channels is None:
            self.hidden = None
            cls_in = in_channels
        else:
            self.hidden = nn.Conv2d(
                in_channels, hidden_channels, 1, bias=False)
            cls_in = hidden_channels
        self.classifier = nn.Conv2d(cls_in, num_classes, 1, bias=False)
        num_gates = len(self.bins) - 1 if merge == 'gated' else 0
        self.gates = nn.ModuleList(
            GatedMerge(num_classes, negative_gate) for _ in range(num_gates))

    def class_maps(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """The class map f (B, K, h, w), signed: what CAMs are made of."""
        x = self._select(feats)
        if self.hidden is not None:
            x = self.hidden(x).relu()
        return self.classifier(x)

    def pyramid(self, cams: Tensor) -> Dict[str, List[Tensor]]:
        """The GPP intermediates of a class map f.

        Returns a dict with ``pooled`` (the upsampled P_r in merge order),
        ``merged`` (the running merge after each gate; the last entry is
        P̂), ``pos_gates`` and ``neg_gates`` (α, β per gate module).
        """
        pooled = pyramid_pool(cams, self.bins)
        if self.merge == 'average':
            merged = [torch.stack(pooled).mean(dim=0)]
            return dict(pooled=pooled, merged=merged, pos_gates=[],
                        neg_gates=[])
        merged, alphas, betas = [pooled[0]], [], []
        for gate, finer in zip(self.gates, pooled[1:]):
            out, alpha, beta = gate(merged[-1], finer)
            merged.append(out)
            alphas.append(alpha)
            betas.append(beta)
        return dict(
            pooled=pooled, merged=merged, pos_gates=alphas, neg_gates=betas)

    def score_maps(self, cams: Tensor, gpp_map: Tensor) -> Tensor:
        """Image logits (B, K) of Eq. 5 from f and P̂."""
        positive = (cams.relu() * gpp_map.relu()).mean(dim=(2, 3))
        negative = ((-cams).relu() * (-gpp_map).relu()).mean(dim=(2, 3))
        if self.score == 'positive':
            return positive
        if self.score == 'negative':
            return -negative
        return positive - negative

    def forward_train(self, feats: Union[Tensor, Sequence[Tensor]]) -> dict:
        """Training outputs: ``cams`` (f), ``gpp_map`` (P̂), ``logits``."""
        cams = self.class_maps(feats)
        gpp_map = self.pyramid(cams)['merged'][-1]
        return dict(
            cams=cams,
            gpp_map=gpp_map,
            logits=self.score_maps(cams, gpp_map))

    def forward(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Image logits (B, K)."""
        return self.forward_train(feats)['logits']
