"""ACR's reconstructor G = encoder G_E + tap convs + aux head + decoder G_D.

Kweon, Yoon, Yoon, "Weakly Supervised Semantic Segmentation via Adversarial
Learning of Classifier and Reconstructor", CVPR 2023; official code
sangrockEG/ACR (``Net_recon`` in ``networks/resnet38d.py``).
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmwsss.registry import MODELS


@MODELS.register_module()
class ACRReconstructor(BaseModule):
    """Reconstructor G of ACR: multi-scale features X and the decoder.

    ``X = concat(T_1 ∗ f_1, ..., T_k ∗ f_k)`` where ``f_i`` are the encoder
    outputs (ResNet-38d ``out_indices=(3, 5, 6)``: the ReLU(BN) inputs of b5
    and b6 and the final 4096-d feature, all at stride 8) and ``T_i`` bias-free
    1×1 convs with PyTorch's default init and no activation (official
    ``dr1``, ``dr2``, ``fc_recon``: 512→64, 1024→128, 4096→256, so X has 448
    channels). The encoder also carries its own CAM head on its last output
    (official ``fc8``/``fc9``, trained with BCE in the reconstructor update;
    not in the supplement). The decoder maps the upsampled, masked X back to
    the image.

    Args:
        encoder (dict): backbone config, e.g. ``ResNet38d`` with
            ``out_indices=(3, 5, 6)``; it must expose ``out_channels`` (name
            -> channels) and ``out_names``, as ``ResNet38d`` does.
        head (dict): CAM head config on the last encoder output, e.g.
            ``GAPHead(num_classes=20, in_channels=4096, hidden_channels=256)``.
        decoder (dict): decoder config, e.g. ``ReconstructionUNet``; its
            ``in_channels`` must equal ``sum(tap_channels)``.
        tap_channels (Sequence[int]): output channels of the 1×1 tap convs,
            one per encoder output. Default: (64, 128, 256).
        init_cfg (dict | list[dict], optional): initialisation config.
            Default: None.
    """

    def __init__(self,
                 encoder: dict,
                 head: dict,
                 decoder: dict,
                 tap_channels: Sequence[int] = (64, 128, 256),
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        self.encoder = MODELS.build(encoder)
        names = getattr(self.encoder, 'out_names', None)
        widths = getattr(self.encoder, 'out_channels', None)
        if names is None or not isinstance(widths, dict):
            raise ValueError(
                'ACRReconstructor: the encoder must expose out_names and an '
                f'out_channels dict (as ResNet38d does); got '
                f'{type(self.encoder).__name__}')
        tap_channels = tuple(int(c) for c in tap_channels)
        if len(tap_channels) != len(names):
            raise ValueError(
                f'ACRReconstructor: {len(tap_channels)} tap_channels '
                f'{tap_channels} for {len(names)} encoder outputs {names}; '
                'give one tap width per encoder output (ACR: out_indices='
                '(3, 5, 6) with tap_channels=(64, 128, 256))')
        self.taps = nn.ModuleList(
            nn.Conv2d(widths[name], c, 1, bias=False)
            for name, c in zip(names, tap_channels))
        self.head = MODELS.build(head)
        self.decoder = MODELS.build(decoder)
        dec_in = getattr(self.decoder, 'in_channels', None)
        if dec_in != sum(tap_channels):
            raise ValueError(
                f'ACRReconstructor: decoder in_channels = {dec_in} but the '
                f'taps give sum{tap_channels} = {sum(tap_channels)} '
                'channels; set the decoder in_channels to their sum')
        self.tap_channels = tap_channels

    def features(self, img: Tensor) -> Tuple[Tensor, Tensor]:
        """Encode images (B, 3, H, W).

        Returns:
            tuple[Tensor, Tensor]: X (B, sum(tap_channels), h, w) at the
            encoder's stride (8 for ResNet-38d) and the aux head's class
            logits maps (B, C, h, w), no ReLU.
        """
        feats = self.encoder(img)
        x = torch.cat([tap(f) for tap, f in zip(self.taps, feats)], dim=1)
        return x, self.head.class_maps(feats)

    def decode(self, x_up: Tensor) -> Tensor:
        """Reconstruct images (B, 3, H, W) from (masked) upsampled X."""
        return self.decoder(x_up)
