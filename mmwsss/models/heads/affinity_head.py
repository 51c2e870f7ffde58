"""AffinityNet's head: a feature map phi whose L1 distances give pixel-pair
affinities."""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule, update_init_info
from torch import Tensor

from mmwsss.ops.pair_sets import PAIR_SETS, pair_indices
from mmwsss.registry import MODELS


@MODELS.register_module()
class AffinityHead(BaseModule):
    """The affinity head of AffinityNet.

    Ahn and Kwak, "Learning Pixel-level Semantic Affinity with Image-level
    Supervision for Weakly Supervised Semantic Segmentation", CVPR 2018,
    arXiv:1803.10464, https://github.com/jiwoon-ahn/psa
    (``network/resnet38_aff.py``); unchanged in AEFT
    (https://github.com/KAIST-vilab/AEFT) and hfpl
    (https://github.com/arvijj/hfpl).

    On the three trunk maps (ResNet-38d: conv4 = ``b5_in``, conv5 =
    ``b6_in``, conv6 = ``final``, already ReLU'd), with 1x1 bias-free convs
    named as in the official code::

        phi = ELU(f9([ELU(f8_3(conv4)), ELU(f8_4(conv5)), ELU(f8_5(conv6))]))

    and for a pair (i, j) of grid cells

        a_ij = exp(-(1 / C) * sum_c |phi_c(i) - phi_c(j)|)  in (0, 1],

    C = ``out_channels`` (the official 448; a narrower phi divides by its own
    channel count, i.e. the mean over channels). Pairs are psa's
    (``pair_set='psa'``) or every in-grid pair (``'full'``), laid out
    (B, |D_r|, n_src) direction-major, see :mod:`mmwsss.ops.pair_sets`.

    Initialisation (official): f8_* Kaiming-normal (fan_in, gain sqrt(2)),
    f9 Xavier-uniform with gain 4; applied by :meth:`init_weights` unless an
    ``init_cfg`` is given.

    Args:
        in_channels (Sequence[int]): channels of conv4, conv5, conv6.
            Default: (512, 1024, 4096).
        channels (Sequence[int]): outputs of f8_3, f8_4, f8_5.
            Default: (64, 128, 256).
        out_channels (int, optional): channels of phi. Default: None
            (= sum(channels), 448 at full width).
        init_cfg (dict, optional): replaces the official initialisation.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (512, 1024, 4096),
                 channels: Sequence[int] = (64, 128, 256),
                 out_channels: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        in_channels, channels = tuple(in_channels), tuple(channels)
        if len(in_channels) != 3 or len(channels) != 3:
            raise ValueError('in_channels and channels must have 3 entries '
                             f'(conv4, conv5, conv6), got {in_channels} and '
                             f'{channels}')
        self.in_channels = in_channels
        self.channels = channels
        self.out_channels = int(out_channels or sum(channels))
        self.f8_3 = nn.Conv2d(in_channels[0], channels[0], 1, bias=False)
        self.f8_4 = nn.Conv2d(in_channels[1], channels[1], 1, bias=False)
        self.f8_5 = nn.Conv2d(in_channels[2], channels[2], 1, bias=False)
        self.f9 = nn.Conv2d(sum(channels), self.out_channels, 1, bias=False)
        self._pairs: Dict[tuple, Tuple[Tensor, Tensor,
                                       Optional[Tensor]]] = {}

    def init_weights(self) -> None:
        """Official initialisation, or ``init_cfg`` when one is given."""
        if self.init_cfg is not None:
            super().init_weights()
            return
        if self._is_init:
            return
        for conv in (self.f8_3, self.f8_4, self.f8_5):
            nn.init.kaiming_normal_(
                conv.weight, mode='fan_in', nonlinearity='relu')
        nn.init.xavier_uniform_(self.f9.weight, gain=4)
        self._is_init = True
        if hasattr(self, '_params_init_info'):  # inside a parent's init
            update_init_info(
                self,
                init_info='f8_*: kaiming_normal (fan_in); f9: '
                'xavier_uniform (gain 4)')

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """phi (B, out_channels, h, w) of (conv4, conv5, conv6)."""
        if len(feats) != 3:
            raise ValueError(
                f'AffinityHead needs 3 feature maps (conv4, conv5, conv6), '
                f'got {len(feats)}: set the backbone out_indices=(\'b5_in\', '
                "'b6_in', 'final')")
        x3, x4, x5 = feats
        cat = torch.cat([
            F.elu(self.f8_3(x3)),
            F.elu(self.f8_4(x4)),
            F.elu(self.f8_5(x5))
        ], 1)
        return F.elu(self.f9(cat))

    def pair_indices(self,
                     grid: Tuple[int, int],
                     radius: int,
                     pair_set: str = 'psa',
                     device=None) -> Tuple[Tensor, Tensor, Optional[Tensor]]:
        """``ind_from`` (n_src,), ``ind_to`` (|D| * n_src,) and ``valid``
        (|D| * n_src,) bool or None, as tensors on ``device`` (cached)."""
        if pair_set not in PAIR_SETS:
            raise ValueError(
                f'pair_set must be one of {PAIR_SETS}, got {pair_set!r}')
        key = (tuple(grid), int(radius), pair_set, str(device))
        if key not in self._pairs:
            ind_from, ind_to, valid = pair_indices(radius, tuple(grid),
                                                   pair_set)
            self._pairs[key] = (
                torch.from_numpy(ind_from).to(device),
                torch.from_numpy(ind_to).to(device),
                None if valid is None else torch.from_numpy(valid).to(device))
        return self._pairs[key]

    def pair_affinities(self,
                        phi: Tensor,
                        radius: int,
                        pair_set: str = 'psa') -> Tensor:
        """Affinities (B, |D_r|, n_src) of the pairs on phi's grid.

        With ``pair_set='full'`` pairs that would leave the grid get 0.
        """
        batch, chans, h, w = phi.shape
        ind_from, ind_to, valid = self.pair_indices((h, w), radius, pair_set,
                                                    phi.device)
        flat = phi.reshape(batch, chans, h * w)
        src = flat.index_select(2, ind_from).unsqueeze(2)
        dst = flat.index_select(2, ind_to).view(batch, chans, -1,
                                                ind_from.numel())
        aff = torch.exp(-(dst - src).abs().mean(1))
        if valid is not None:
            aff = aff * valid.view(aff.shape[1:]).to(aff.dtype)
        return aff

    def dense_affinity(self,
                       phi: Tensor,
                       radius: int,
                       pair_set: str = 'psa') -> Tensor:
        """A = I + sum_pairs a_ij (e_i e_j^T + e_j e_i^T), (h*w, h*w), for a
        batch of one (tests and small reference walks)."""
        if phi.shape[0] != 1:
            raise ValueError('dense_affinity works on a batch of one, got '
                             f'{phi.shape[0]} images')
        aff = self.pair_affinities(phi, radius, pair_set).reshape(-1)
        h, w = phi.shape[-2:]
        ind_from, ind_to, _ = self.pair_indices((h, w), radius, pair_set,
                                                phi.device)
        src = ind_from.repeat(ind_to.numel() // ind_from.numel())
        dense = torch.eye(h * w, dtype=phi.dtype, device=phi.device)
        dense = dense.index_put((src, ind_to), aff, accumulate=True)
        return dense.index_put((ind_to, src), aff, accumulate=True)
