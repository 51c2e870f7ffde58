"""ResNet-50 in torchvision's layout, returning the stem and its 4 stages.

The trunk of IRN: Ahn, Cho, Kwak, "Weakly Supervised Learning of Instance
Segmentation with Inter-pixel Relations", CVPR 2019, arXiv:1904.05044;
official code https://github.com/jiwoon-ahn/irn (``net/resnet50.py``,
``net/resnet50_irn.py``), also used unchanged by RIB
(https://github.com/jbeomlee93/RIB). He, Zhang, Ren, Sun, "Deep Residual
Learning for Image Recognition", CVPR 2016, arXiv:1512.03385, with the
"v1.5" bottleneck (stride on the 3x3 convolution) of torchvision.
"""
import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.runner import CheckpointLoader
from torch import Tensor

from mmwsss.fileio.weight_hints import weight_hint
from mmwsss.registry import MODELS
from mmwsss.utils.errors import InvalidInputError, MissingInputError


class Bottleneck(nn.Module):
    """torchvision's ResNet v1.5 bottleneck: 1x1 -> 3x3 (stride) -> 1x1.

    out = ReLU(bn3(conv3(ReLU(bn2(conv2(ReLU(bn1(conv1(x)))))))) + s(x)),
    s = identity or ``downsample`` (1x1 conv with the stride + BN).
    """
    expansion = 4

    def __init__(self, in_channels: int, planes: int, stride: int = 1,
                 downsample: Optional[nn.Module] = None) -> None:
        super().__init__()
        out = planes * self.expansion
        self.conv1 = nn.Conv2d(in_channels, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(
            planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


@MODELS.register_module()
class ResNet50Stages(BaseModule):
    """ResNet-50 returning (x1, x2, x3, x4, x5) as IRN's backbone does.

    ======  =============================  ================  ==============
    output  what                           channels (base c)  stride (IRN)
    ======  =============================  ================  ==============
    x1      maxpool(ReLU(bn1(conv1(x))))   c    (64)          4
    x2      layer1(x1)                     4c   (256)         4
    x3      layer2(x2)                     8c   (512)         8
    x4      layer3(x3)                     16c  (1024)        16
    x5      layer4(x4)                     32c  (2048)        16
    ======  =============================  ================  ==============

    With the default ``strides=(2, 2, 2, 1)`` (conv1, layer2, layer3,
    layer4; layer1 and the 3x3/2 max pool are fixed) an H x W input gives
    x1, x2 of ceil(H/4) rows, x3 ceil(H/8), x4 and x5 ceil(H/16). Parameter
    and buffer names are torchvision's (``conv1``, ``bn1``,
    ``layer1.0.conv1``, ``layer1.0.downsample.0``, ...), so torchvision's
    ``resnet50-19c8e357.pth`` minus ``fc.*`` loads strictly; at
    ``base_channels=64`` the state dict has 318 entries (torchvision's 320
    less ``fc.weight`` and ``fc.bias``), 265 without the BN
    ``num_batches_tracked`` counters the 2017 checkpoint lacks.

    ``frozen=True`` reproduces IRN: every BN uses its stored statistics, the
    whole trunk stays in eval mode whatever ``train()`` says, no parameter
    requires grad and each output is detached. ``frozen=False`` is an
    ordinary trainable ResNet (BN in training mode when the model trains),
    meant for toy models trained from scratch.

    Args:
        base_channels (int): width of conv1 / layer1 (64 = ResNet-50; each
            later stage doubles it, bottleneck outputs are 4x). Default: 64.
        depths (Sequence[int]): bottlenecks per layer. Default: (3, 4, 6, 3).
        strides (Sequence[int]): strides of conv1, layer2, layer3, layer4.
            Default: (2, 2, 2, 1) (IRN).
        in_channels (int): image channels. Default: 3.
        frozen (bool): see above. Default: True.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained',
            checkpoint='pretrained/resnet50-19c8e357.pth')``: every trunk
            tensor must be in the file with the right shape (``fc.*`` and
            other extra keys are ignored; ``prefix`` selects a sub-dict).
    """

    def __init__(self,
                 base_channels: int = 64,
                 depths: Sequence[int] = (3, 4, 6, 3),
                 strides: Sequence[int] = (2, 2, 2, 1),
                 in_channels: int = 3,
                 frozen: bool = True,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        strides, depths = tuple(strides), tuple(depths)
        if len(strides) != 4 or any(s not in (1, 2) for s in strides):
            raise ValueError(
                f'strides must be 4 values in (1, 2) for conv1, layer2, '
                f'layer3, layer4, got {strides}')
        if len(depths) != 4 or min(depths) < 1 or base_channels < 1:
            raise ValueError(
                f'depths must be 4 positive block counts and base_channels '
                f'>= 1, got {depths}, {base_channels}')
        self.base_channels = base_channels
        self.strides = strides
        self.frozen = frozen
        c = base_channels
        self.conv1 = nn.Conv2d(
            in_channels, c, 7, stride=strides[0], padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self._inplanes = c
        layer_strides = (1, ) + strides[1:]
        for i, (depth, stride) in enumerate(zip(depths, layer_strides)):
            self.add_module(f'layer{i + 1}',
                            self._make_layer(c * 2**i, depth, stride))
        self.out_channels = (c, ) + tuple(c * 2**i * Bottleneck.expansion
                                          for i in range(4))
        if frozen:
            for param in self.parameters():
                param.requires_grad = False

    def _make_layer(self, planes: int, depth: int,
                    stride: int) -> nn.Sequential:
        out = planes * Bottleneck.expansion
        downsample = None
        if stride != 1 or self._inplanes != out:
            downsample = nn.Sequential(
                nn.Conv2d(self._inplanes, out, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out))
        blocks = [Bottleneck(self._inplanes, planes, stride, downsample)]
        self._inplanes = out
        blocks += [Bottleneck(out, planes) for _ in range(1, depth)]
        return nn.Sequential(*blocks)

    def train(self, mode: bool = True) -> 'ResNet50Stages':
        """Set the mode; a frozen trunk always stays in eval mode."""
        super().train(mode and not self.frozen)
        return self

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """(x1, x2, x3, x4, x5) of images (N, C, H, W); detached when
        ``frozen``."""
        stages = (lambda t: self.maxpool(self.relu(self.bn1(self.conv1(t)))),
                  self.layer1, self.layer2, self.layer3, self.layer4)
        outs = []
        for stage in stages:
            x = stage(x)
            if self.frozen:
                x = x.detach()
            outs.append(x)
        return tuple(outs)

    def init_weights(self) -> None:
        """Initialise; a ``Pretrained`` init_cfg loads a torchvision-style
        checkpoint strictly (all trunk tensors present, shapes equal).

        Raises:
            MissingInputError: the local checkpoint file does not exist.
            InvalidInputError: it lacks trunk tensors or has wrong shapes.
        """
        cfgs = self.init_cfg
        cfgs = [cfgs] if isinstance(cfgs, dict) else list(cfgs or [])
        pretrained = [c for c in cfgs if c.get('type') == 'Pretrained']
        if not pretrained or self._is_init:
            super().init_weights()
            return
        if len(pretrained) > 1:
            raise ValueError('ResNet50Stages accepts one Pretrained init_cfg')
        cfg = pretrained[0]
        path = cfg['checkpoint']
        if '://' not in path and not osp.isfile(osp.expanduser(path)):
            raise MissingInputError(
                f'ResNet50Stages pretrained weights not found: {path!r}. ' +
                weight_hint(path, 'resnet50') +
                ' Or set the backbone init_cfg=None for random weights.')
        print_log(f'ResNet50Stages: load pretrained weights from {path}',
                  logger='current')
        ckpt = CheckpointLoader.load_checkpoint(
            path, map_location=cfg.get('map_location', 'cpu'),
            logger='current')
        self.load_trunk_state(ckpt, cfg.get('prefix'), source=path)
        self._is_init = True

    def load_trunk_state(self, state: dict, prefix: Optional[str] = None,
                         source: str = 'state dict') -> None:
        """Load a torchvision-layout state dict (optionally the entries under
        ``prefix``, e.g. ``'backbone.'``), ignoring extra keys such as
        ``fc.*``; missing ``num_batches_tracked`` counters are allowed."""
        if isinstance(state, dict) and isinstance(state.get('state_dict'),
                                                  dict):
            state = state['state_dict']
        if not isinstance(state, dict):
            raise InvalidInputError(
                f'{source!r} holds no state dict (got '
                f'{type(state).__name__}). ' +
                weight_hint(source, 'resnet50'))
        state = {(k[7:] if k.startswith('module.') else k): v
                 for k, v in state.items()}
        if prefix:
            prefix = prefix if prefix.endswith('.') else prefix + '.'
            state = {k[len(prefix):]: v
                     for k, v in state.items() if k.startswith(prefix)}
        own = self.state_dict()
        missing = [k for k in own
                   if k not in state and not k.endswith('num_batches_tracked')]
        wrong = [(k, tuple(state[k].shape), tuple(v.shape))
                 for k, v in own.items()
                 if k in state and state[k].shape != v.shape]
        if missing or wrong:
            raise InvalidInputError(
                f'{source!r} does not match ResNet50Stages(base_channels='
                f'{self.base_channels}): {len(missing)} trunk tensors missing '
                f'(first: {missing[:5]}; prefix={prefix!r}), {len(wrong)} of '
                f'the wrong shape (key, file, model; first: {wrong[:3]}). '
                'Fix: use a torchvision ResNet-50 checkpoint with '
                "base_channels=64 (set prefix='backbone.' for a full-model "
                'checkpoint). ' + weight_hint(source, 'resnet50'))
        self.load_state_dict({k: state[k] for k in own if k in state},
                             strict=False)
