"""SEAM's pixel correlation module (PCM).

Wang, Zhang, Kan, Shan, Chen, "Self-supervised Equivariant Attention
Mechanism for Weakly Supervised Semantic Segmentation", CVPR 2020
(arXiv:2004.04581; official code https://github.com/YudeWang/SEAM, reused
unchanged by https://github.com/arvijj/hfpl).

The PCM refines the CAM of a SEAM network by propagating a one-hot-like
seed built from it along a learned pixel affinity::

    e    = W_9 [x↓ ; ReLU(W_83 b5_in) ; ReLU(W_84 b6_in)]    (B, D, h, w)
    ê_i  = e_i / (‖e_i‖₂ + ε)                                 cosine embed
    a_ij = ReLU(ê_iᵀ ê_j),   â_ij = a_ij / (Σ_k a_kj + ε)     column-normed
    y_rv[c, j] = Σ_i seed[c, i] â_ij                          (B, C, h, w)

with x↓ the (normalised) input image resized to h × w (bilinear,
``align_corners=True``), b5_in / b6_in the *detached* BN-ReLU inputs of
ResNet-38d's b5 / b6 (PSA's conv4 / conv5), W_83 / W_84 / W_9 bias-free
1×1 convolutions and ``seed`` from :func:`pcm_seed` (detached). Every
output pixel is thus a convex combination of seed pixels, weighted by
feature similarity. Since neither the seed nor the backbone features carry
gradient, the PCM's own convolutions are the only parameters its output
trains.

Why a separate module under ``necks``: it has parameters whose widths
depend on the backbone (so it must be built from a config and get its own
lr-multiplier key, ``pcm``), and like a neck it consumes several backbone
levels. Unlike a neck it also takes the CAM and the image, so a host passes
it as ``pcm=...``, not as ``neck=...``.
"""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmwsss.registry import MODELS

_EPS = 1e-5


def pcm_seed(cams: Tensor, eps: float = _EPS) -> Tensor:
    """The detached, one-hot-like seed that SEAM's PCM propagates.

    From raw class maps ``s`` (background channel 0 first):

    1. ``r = ReLU(s)``; ``ŝ = ReLU(r - ε) / (max_hw r + ε)`` per image and
       channel (a max-norm without minimum subtraction);
    2. background ``ŝ_0 = 1 - max_{c≥1} ŝ_c``;
    3. foreground values below the pixel's maximum over the foreground
       channels are zeroed (ties keep every maximal channel).

    Computed without gradient, as in the official code.

    Args:
        cams (Tensor): (B, 1 + K, h, w) raw class maps.
        eps (float): offset. Default: 1e-5.

    Returns:
        Tensor: (B, 1 + K, h, w) in [0, 1], no gradient.
    """
    if cams.dim() != 4 or cams.shape[1] < 2:
        raise ValueError('cams must be (B, 1 + K, h, w) with a background '
                         f'channel and K >= 1, got {tuple(cams.shape)}')
    with torch.no_grad():
        pos = cams.detach().relu()
        peak = pos.flatten(2).max(dim=2).values[..., None, None] + eps
        normed = (pos - eps).relu() / peak
        fg = normed[:, 1:]
        fg_max = fg.max(dim=1, keepdim=True).values
        fg = torch.where(fg < fg_max, torch.zeros_like(fg), fg)
        return torch.cat([1 - fg_max, fg], dim=1)


def cosine_affinity(embedding: Tensor, eps: float = _EPS) -> Tensor:
    """Column-normalised ReLU cosine affinity of a pixel embedding.

    ``â_ij = ReLU(ê_iᵀ ê_j) / (Σ_k ReLU(ê_kᵀ ê_j) + ε)`` with
    ``ê_i = e_i / (‖e_i‖₂ + ε)``.

    Args:
        embedding (Tensor): (B, D, h, w).
        eps (float): offset of both normalisations. Default: 1e-5.

    Returns:
        Tensor: (B, h·w, h·w); column j holds the weights of output pixel j
        (columns sum to 1 up to ε).
    """
    e = embedding.flatten(2)
    e = e / (e.norm(dim=1, keepdim=True) + eps)
    aff = torch.bmm(e.transpose(1, 2), e).relu()
    return aff / (aff.sum(dim=1, keepdim=True) + eps)


def propagate(cams: Tensor, affinity: Tensor) -> Tensor:
    """``y[c, j] = Σ_i cams[c, i] · affinity[i, j]``.

    Args:
        cams (Tensor): (B, C, h, w).
        affinity (Tensor): (B, h·w, h·w) from :func:`cosine_affinity`.

    Returns:
        Tensor: (B, C, h, w).
    """
    b, c, h, w = cams.shape
    if affinity.shape != (b, h * w, h * w):
        raise ValueError(f'affinity {tuple(affinity.shape)} does not match '
                         f'cams {tuple(cams.shape)}')
    return torch.bmm(cams.flatten(2), affinity).view(b, c, h, w)


@MODELS.register_module()
class PixelCorrelationModule(BaseModule):
    """SEAM's PCM: propagate a CAM seed along a learned pixel affinity.

    See the module docstring for the equations. Submodule names follow the
    official code (``f8_3``, ``f8_4``, ``f9``) so converted SEAM weights map
    one to one; the image channels come first in the concatenation, as
    there.

    Args:
        in_channels (Sequence[int]): channels of the two backbone levels
            (ResNet-38d ``b5_in``, ``b6_in``: 512, 1024 at full width).
        feat_channels (Sequence[int]): their reduced widths. Default:
            (64, 128).
        embed_channels (int): width D of the affinity embedding. Default:
            192.
        in_index (Sequence[int]): which backbone outputs are the two
            levels. Default: (0, 1), with backbone ``out_indices=('b5_in',
            'b6_in', 'final')``.
        image_channels (int): channels of the image concatenated to the
            features (0 = no image). Default: 3.
        detach_feats (bool): stop gradients into the backbone (official).
            Default: True.
        eps (float): offset of the normalisations. Default: 1e-5.
        init_cfg (dict | list[dict]): official init: Kaiming-normal
            reducers, Xavier-uniform (gain 4) ``f9``.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (512, 1024),
                 feat_channels: Sequence[int] = (64, 128),
                 embed_channels: int = 192,
                 in_index: Sequence[int] = (0, 1),
                 image_channels: int = 3,
                 detach_feats: bool = True,
                 eps: float = _EPS,
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(
                     type='Kaiming',
                     layer='Conv2d',
                     mode='fan_in',
                     nonlinearity='relu',
                     distribution='normal',
                     override=dict(
                         name='f9',
                         type='Xavier',
                         gain=4.0,
                         distribution='uniform'))):
        super().__init__(init_cfg=init_cfg)
        if not (len(in_channels) == len(feat_channels) == len(in_index) == 2):
            raise ValueError(
                'in_channels, feat_channels and in_index must have two '
                f'entries each, got {in_channels}, {feat_channels}, '
                f'{in_index}')
        if image_channels < 0 or embed_channels < 1:
            raise ValueError('image_channels must be >= 0 and '
                             'embed_channels >= 1')
        self.in_index = tuple(in_index)
        self.image_channels = image_channels
        self.detach_feats = detach_feats
        self.eps = eps
        self.f8_3 = nn.Conv2d(in_channels[0], feat_channels[0], 1, bias=False)
        self.f8_4 = nn.Conv2d(in_channels[1], feat_channels[1], 1, bias=False)
        self.f9 = nn.Conv2d(
            image_channels + sum(feat_channels),
            embed_channels,
            1,
            bias=False)

    def embed(self, feats: Sequence[Tensor],
              images: Optional[Tensor] = None) -> Tensor:
        """The pixel embedding e (B, D, h, w) at the features' size.

        Args:
            feats (Sequence[Tensor]): backbone outputs; ``in_index`` picks
                the two levels (same spatial size h × w).
            images (Tensor, optional): (B, image_channels, H, W) network
                input, resized to h × w (bilinear, ``align_corners=True``).
                Required when ``image_channels > 0``.
        """
        if self.image_channels and images is None:
            raise ValueError('the PCM concatenates the image: pass images')
        low, high = (feats[i] for i in self.in_index)
        if self.detach_feats:
            low, high = low.detach(), high.detach()
        parts = [self.f8_3(low).relu(), self.f8_4(high).relu()]
        if self.image_channels:
            parts.insert(
                0,
                F.interpolate(
                    images,
                    size=low.shape[-2:],
                    mode='bilinear',
                    align_corners=True))
        return self.f9(torch.cat(parts, dim=1))

    def affinity(self, feats: Sequence[Tensor],
                 images: Optional[Tensor] = None) -> Tensor:
        """Column-normalised affinity (B, h·w, h·w), see
        :func:`cosine_affinity`."""
        return cosine_affinity(self.embed(feats, images), self.eps)

    def forward(self,
                cams: Tensor,
                feats: Sequence[Tensor],
                images: Optional[Tensor] = None,
                seed: bool = True) -> Tensor:
        """Refine CAMs: ``y_rv = propagate(seed(cams), affinity)``.

        Args:
            cams (Tensor): (B, 1 + K, h', w') raw class maps (background
                first) when ``seed``, else the (B, C, h', w') maps to
                propagate as they are; resized to the features' h × w
                (bilinear, ``align_corners=True``) if h', w' differ.
            feats (Sequence[Tensor]): backbone outputs.
            images (Tensor, optional): the network input.
            seed (bool): turn ``cams`` into :func:`pcm_seed` first
                (official). Default: True.

        Returns:
            Tensor: (B, C, h, w) refined maps (``cam_rv``), non-negative
            when the input is.
        """
        seed_maps = pcm_seed(cams, self.eps) if seed else cams
        size = feats[self.in_index[0]].shape[-2:]
        if seed_maps.shape[-2:] != size:
            seed_maps = F.interpolate(
                seed_maps, size=size, mode='bilinear', align_corners=True)
        return propagate(seed_maps, self.affinity(feats, images))


__all__ = [
    'PixelCorrelationModule', 'pcm_seed', 'cosine_affinity', 'propagate'
]
