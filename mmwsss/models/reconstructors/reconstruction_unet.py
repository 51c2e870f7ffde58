"""ACR's reconstruction decoder G_D: a UNet from features to an image.

Kweon, Yoon, Yoon, "Weakly Supervised Semantic Segmentation via Adversarial
Learning of Classifier and Reconstructor", CVPR 2023 (supplement Table A1 and
Fig. A2); official code sangrockEG/ACR (``GeneratorUNet`` in
``networks/resnet38d.py``), whose behaviour is the default here.
"""
from typing import List, Optional, Sequence, Union

from mmengine.model import BaseModule
from torch import Tensor

from mmwsss.registry import MODELS
from .unet_blocks import UNetDownBlock, UNetOutputBlock, UNetUpBlock


@MODELS.register_module()
class ReconstructionUNet(BaseModule):
    """UNet decoder ``Î = G_D(X↑)`` from a feature map to a 3×H×W image.

    With N = ``len(channels)`` down blocks of widths ``c_1..c_N``:
    ``d_k = Down_k(d_{k-1})`` (d_0 = the input),
    ``u_1 = [Up_1(d_N), d_{N-1}]``, ``u_j = [Up_j(u_{j-1}), d_{N-j}]``
    (Up_j outputs ``c_{N-j}`` channels),
    ``Î = final(u_{N-1})``. Down blocks: conv k4 s2 → InstanceNorm (not in the
    first and last block) → LeakyReLU(0.2) → Dropout; up blocks: transposed
    conv k4 s2 → InstanceNorm → ReLU → Dropout → concat; final: ×2 upsample →
    conv with bias, no output activation. InstanceNorm is
    ``InstanceNorm2d(affine=False)``, dropout element-wise; convs keep
    PyTorch's default initialisation (as the official code, which defines a
    normal(0, 0.02) initialiser but never applies it). The defaults are the
    official decoder (448 → 3 channels, 54,857,091 parameters).

    Module names: ``down1..downN``, ``up1..up(N-1)``, ``final``; the weights
    are ``down{k}.conv.weight``, ``up{j}.conv.weight``, ``final.conv.weight``
    and ``final.conv.bias`` (official ``genUnet.down{k}.model.0.weight``,
    ``genUnet.up{j}.model.0.weight``, ``genUnet.final.1.*``).

    Args:
        in_channels (int): feature channels (ACR: 64 + 128 + 256 = 448).
        channels (Sequence[int]): output width of each down block; the depth
            N is its length (at least 2). Default: (64, 128, 256, 512, 512,
            512, 512, 512).
        dropout (Sequence[float]): dropout probability of each down block;
            the up block whose output is concatenated with down block k uses
            down block k's probability (the official decoder: 0.5 in
            down4..down8 and up1..up4). One entry per down block.
            Default: (0, 0, 0, .5, .5, .5, .5, .5).
        up_act (str): activation of the up blocks, ``'relu'`` (code) or
            ``'lrelu'`` (supplement, LeakyReLU 0.2). Default: 'relu'.
        final_upsample (str): ``'nearest'`` (code) or ``'bilinear'``
            (supplement). Default: 'nearest'.
        final_kernel (int): kernel of the output conv, 3 (code) or 1
            (supplement). Default: 3.
        out_channels (int): image channels. Default: 3.
        init_cfg (dict | list[dict], optional): initialisation config.
            Default: None.
    """

    def __init__(self,
                 in_channels: int = 448,
                 channels: Sequence[int] = (64, 128, 256, 512, 512, 512, 512,
                                            512),
                 dropout: Sequence[float] = (0, 0, 0, .5, .5, .5, .5, .5),
                 up_act: str = 'relu',
                 final_upsample: str = 'nearest',
                 final_kernel: int = 3,
                 out_channels: int = 3,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        channels = tuple(int(c) for c in channels)
        dropout = tuple(float(p) for p in dropout)
        if len(channels) < 2 or min(channels) < 1:
            raise ValueError('ReconstructionUNet: channels must list at '
                             'least two positive widths (one per down '
                             f'block), got {channels}')
        if len(dropout) != len(channels):
            raise ValueError(
                f'ReconstructionUNet: dropout has {len(dropout)} entries but '
                f'channels has {len(channels)} down blocks; give one dropout '
                'probability per down block (the official 8-block decoder: '
                '(0, 0, 0, .5, .5, .5, .5, .5))')
        if not all(0.0 <= p < 1.0 for p in dropout):
            raise ValueError('ReconstructionUNet: dropout probabilities must '
                             f'be in [0, 1), got {dropout}')
        self.in_channels = in_channels
        self.channels = channels
        self.depth = depth = len(channels)
        for k in range(depth):
            self.add_module(
                f'down{k + 1}',
                UNetDownBlock(
                    in_channels if k == 0 else channels[k - 1],
                    channels[k],
                    norm=0 < k < depth - 1,
                    dropout=dropout[k]))
        for j in range(1, depth):
            skip = depth - j - 1  # index of the down block concatenated
            self.add_module(
                f'up{j}',
                UNetUpBlock(
                    channels[-1] if j == 1 else 2 * channels[skip + 1],
                    channels[skip],
                    act=up_act,
                    dropout=dropout[skip]))
        self.final = UNetOutputBlock(
            2 * channels[0], out_channels, final_upsample, final_kernel)

    def forward(self, x: Tensor) -> Tensor:
        """Reconstruct images (B, out_channels, H, W) from features
        (B, in_channels, H, W); H and W must be multiples of 2**depth."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'ReconstructionUNet expects (B, {self.in_channels}, H, W) '
                f'features, got shape {tuple(x.shape)}')
        step = 2**self.depth
        height, width = x.shape[-2:]
        if height % step or width % step:
            raise ValueError(
                f'ReconstructionUNet: input size {height}x{width} is not a '
                f'multiple of 2**depth = {step} (depth = len(channels) = '
                f'{self.depth} stride-2 down blocks). Fix: crop the training '
                f'images to a multiple of {step} (ACR crops 256x256 for the '
                '8-block decoder) or use fewer down blocks.')
        skips = []
        for k in range(1, self.depth + 1):
            x = getattr(self, f'down{k}')(x)
            skips.append(x)
        for j in range(1, self.depth):
            x = getattr(self, f'up{j}')(x, skips[self.depth - j - 1])
        return self.final(x)
