"""ResNet-38d: the wide ResNet-38 trunk ("model A1") of the WSSS literature.

Wu, Shen, van den Hengel, "Wider or Deeper: Revisiting the ResNet Model for
Visual Recognition", Pattern Recognition 2019 (ademxapp, model A1), in the
output-stride-8 form used by PSA/AffinityNet, SEAM, AEFT and ACR; the
residual blocks are in :mod:`.resnet38d_blocks`. Submodule names follow the
official PyTorch port so that converted ImageNet weights
(``tools/model_converters/resnet38d_mxnet.py``) and released WSSS
checkpoints load without key remapping.
"""
import logging
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModule, update_init_info
from mmengine.runner import CheckpointLoader, load_state_dict
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from mmwsss.fileio.weight_hints import weight_hint
from mmwsss.registry import MODELS
from mmwsss.utils.errors import InvalidInputError, MissingInputError
from .resnet38d_blocks import (
    DEFAULT_NORM,
    ResNet38dBasicBlock,
    ResNet38dBottleneck,
    norm_layer,
)


@MODELS.register_module()
class ResNet38d(BaseModule):
    """ResNet-38d trunk, output stride 8 (as in PSA, SEAM, AEFT and ACR).

    Layout (``width_mult=1``; channels in -> mid -> out):

    ======================  =========================  ======  ===========
    modules                 channels                   stride  dilation
    ======================  =========================  ======  ===========
    conv1a (3x3 conv)       3 -> 64                    1       1
    b2, b2_1, b2_2          64/128 -> 128 -> 128       2       1
    b3, b3_1, b3_2          128/256 -> 256 -> 256      2       1
    b4, b4_1 ... b4_5       256/512 -> 512 -> 512      2       1
    b5, b5_1, b5_2          512/1024 -> 512 -> 1024    1       b5: 1 then 2;
                                                               others 2, 2
    b6 (bottleneck)         1024 -> 2048               1       4
    b7 (bottleneck)         2048 -> 4096               1       4
    bn7 + ReLU              4096
    ======================  =========================  ======  ===========

    Strides sit in the first block of b2/b3/b4 (3x3 conv, padding 1), so an
    H x W input gives ``ceil(ceil(ceil(H/2)/2)/2)`` rows (= ``ceil(H/8)``):
    320x320 -> 40x40, 333x500 -> 42x63, 65x47 -> 9x6.
    Trunk parameters at full width: 105,070,912.

    Outputs (``out_indices`` picks among them, by index or by name):

    ===  ==========  ===============  ======  =================================
    idx  name        channels (x1.0)  stride  what
    ===  ==========  ===============  ======  =================================
    0    ``stage2``  128              2       output of b2_2
    1    ``stage3``  256              4       output of b3_2
    2    ``stage4``  512              8       output of b4_5
    3    ``b5_in``   512              8       ReLU(BN) input of b5 (PSA conv4)
    4    ``stage5``  1024             8       output of b5_2
    5    ``b6_in``   1024             8       ReLU(BN) input of b6 (PSA conv5)
    6    ``final``   4096             8       ReLU(bn7(b7 output)), PSA conv6
    ===  ==========  ===============  ======  =================================

    The CAM classifiers use only ``final`` (the default); AffinityNet uses
    ``(3, 5, 6)``, i.e. the BN-ReLU inputs of b5 and b6 plus ``final``.

    Args:
        in_channels (int): image channels. Default: 3.
        width_mult (float): multiplier for every channel count, rounded to a
            multiple of 8 (at least 8). 1.0 is exactly the published network;
            smaller values give toy variants for tests and smoke runs (0.125:
            8/16/32/64/128/256/512 channels). Default: 1.0.
        dropout (tuple[float, float]): ``Dropout2d`` probabilities inside b6
            and b7 (active only in training mode). GPP/AEFT classifier:
            (0.2, 0.2); ACR: (0.2, 0.2); AffinityNet and the ResNet-38
            DeepLab: (0.3, 0.5). Default: (0.0, 0.0).
        frozen_stages (Sequence[str]): names of top-level modules (e.g.
            ``('conv1a', 'b2', 'b2_1', 'b2_2')``, the official training
            setting) whose parameters get ``requires_grad=False`` and which
            stay in eval mode. Default: () (nothing frozen).
        norm_eval (bool): keep every BN layer in eval mode while training
            (ImageNet running statistics are used and never updated), as in
            all official training stages. Default: True.
        frozen_bn_affine (bool): set ``requires_grad=False`` on every BN
            weight and bias (official: BN affine parameters are frozen and
            never receive gradients). Default: True.
        norm_cfg (dict): normalisation layers, e.g. ``dict(type='SyncBN')``.
            Default: ``dict(type='BN', eps=1e-5)``.
        out_indices (Sequence[int | str]): outputs to return, see the table
            above; negative indices count from the end. Default: (6,).
        init_cfg (dict | list[dict], optional): e.g.
            ``dict(type='Pretrained',
            checkpoint='pretrained/resnet38d_imagenet.pth')``
            (optionally with ``prefix``). Every trunk tensor must be present
            and of the right shape; extra (head) keys are logged and ignored.
            Default: None (PyTorch default initialisation).
    """

    OUTPUT_NAMES = ('stage2', 'stage3', 'stage4', 'b5_in', 'stage5', 'b6_in',
                    'final')

    def __init__(self,
                 in_channels: int = 3,
                 width_mult: float = 1.0,
                 dropout: Sequence[float] = (0.0, 0.0),
                 frozen_stages: Sequence[str] = (),
                 norm_eval: bool = True,
                 frozen_bn_affine: bool = True,
                 norm_cfg: dict = DEFAULT_NORM,
                 out_indices: Sequence[Union[int, str]] = (6, ),
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        if not width_mult > 0:
            raise ValueError(f'width_mult must be > 0, got {width_mult}')
        dropout = tuple(dropout)
        if len(dropout) != 2 or not all(0.0 <= p < 1.0 for p in dropout):
            raise ValueError('dropout must be two probabilities in [0, 1) '
                             f'for (b6, b7), got {dropout}')
        self.width_mult = width_mult
        self.dropout = dropout
        self.norm_eval = norm_eval
        self.frozen_bn_affine = frozen_bn_affine
        self.norm_cfg = dict(norm_cfg)

        def ch(c: int) -> int:
            return max(8, int(round(c * width_mult / 8)) * 8)

        self.conv1a = nn.Conv2d(
            in_channels, ch(64), 3, padding=1, bias=False)
        # (stage, blocks, in, mid, out, stride, first dilation, dilation)
        stages = [(2, 3, 64, 128, 128, 2, 1, 1),
                  (3, 3, 128, 256, 256, 2, 1, 1),
                  (4, 6, 256, 512, 512, 2, 1, 1),
                  (5, 3, 512, 512, 1024, 1, 1, 2)]
        self.block_names = []
        self._stage_ends = {}  # last block name -> output name
        for stage, num, c_in, c_mid, c_out, stride, dil1, dil in stages:
            for k in range(num):
                name = f'b{stage}' if k == 0 else f'b{stage}_{k}'
                first = k == 0
                block = ResNet38dBasicBlock(
                    ch(c_in) if first else ch(c_out),
                    ch(c_mid),
                    ch(c_out),
                    stride=stride if first else 1,
                    first_dilation=dil1 if first else dil,
                    dilation=dil,
                    norm_cfg=self.norm_cfg)
                self.add_module(name, block)
                self.block_names.append(name)
            self._stage_ends[name] = f'stage{stage}'
        self.b6 = ResNet38dBottleneck(
            ch(1024), ch(2048), dilation=4, dropout=dropout[0],
            norm_cfg=self.norm_cfg)
        self.b7 = ResNet38dBottleneck(
            ch(2048), ch(4096), dilation=4, dropout=dropout[1],
            norm_cfg=self.norm_cfg)
        self.block_names += ['b6', 'b7']
        self.bn7 = norm_layer(self.norm_cfg, ch(4096))
        self.out_channels = dict(
            zip(self.OUTPUT_NAMES, (ch(128), ch(256), ch(512), ch(512),
                                    ch(1024), ch(1024), ch(4096))))

        self.out_names = self._parse_out_indices(out_indices)
        module_names = ['conv1a', *self.block_names, 'bn7']
        unknown = [n for n in frozen_stages if n not in module_names]
        if isinstance(frozen_stages, str) or unknown:
            raise ValueError(
                f'frozen_stages must be a sequence of module names out of '
                f'{module_names}, got {frozen_stages!r}')
        self.frozen_stages = tuple(frozen_stages)
        self._freeze_params()

    def _parse_out_indices(self, out_indices) -> Tuple[str, ...]:
        names = []
        if isinstance(out_indices, (int, str)):
            out_indices = (out_indices, )
        for idx in out_indices:
            if isinstance(idx, str) and idx in self.OUTPUT_NAMES:
                names.append(idx)
            elif (isinstance(idx, int) and
                  -len(self.OUTPUT_NAMES) <= idx < len(self.OUTPUT_NAMES)):
                names.append(self.OUTPUT_NAMES[idx])
            else:
                raise ValueError(
                    f'out_indices entries must be indices or names of '
                    f'{self.OUTPUT_NAMES}, got {idx!r}')
        if not names:
            raise ValueError('out_indices must select at least one output')
        return tuple(names)

    def _freeze_params(self) -> None:
        for name in self.frozen_stages:
            for param in getattr(self, name).parameters():
                param.requires_grad = False
        if self.frozen_bn_affine:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    for param in module.parameters(recurse=False):
                        param.requires_grad = False

    def train(self, mode: bool = True) -> 'ResNet38d':
        """Set the training mode, keeping frozen stages (and, with
        ``norm_eval``, every BN layer) in eval mode."""
        super().train(mode)
        if mode:
            for name in self.frozen_stages:
                getattr(self, name).eval()
            if self.norm_eval:
                for module in self.modules():
                    if isinstance(module, _BatchNorm):
                        module.eval()
        return self

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Run the trunk.

        Args:
            x (Tensor): images (N, in_channels, H, W).

        Returns:
            tuple[Tensor]: the outputs named by ``out_indices``, in that
            order; e.g. ``final`` is (N, 4096, ceil(H/8), ceil(W/8)).
        """
        feats: Dict[str, Tensor] = {}
        x = self.conv1a(x)
        for name in self.block_names:
            block = getattr(self, name)
            if name in ('b5', 'b6'):
                x, feats[f'{name}_in'] = block(x, return_bn_relu=True)
            else:
                x = block(x)
            if name in self._stage_ends:
                feats[self._stage_ends[name]] = x
        feats['final'] = F.relu(self.bn7(x))
        return tuple(feats[name] for name in self.out_names)

    def init_weights(self) -> None:
        """Initialise; a ``Pretrained`` init_cfg loads converted weights.

        Raises:
            MissingInputError: the local checkpoint file does not exist.
            InvalidInputError: it lacks trunk tensors or has wrong shapes.
        """
        cfgs = self.init_cfg
        if isinstance(cfgs, dict):
            cfgs = [cfgs]
        cfgs = list(cfgs or [])
        pretrained = [c for c in cfgs if c.get('type') == 'Pretrained']
        if not pretrained or self._is_init:
            super().init_weights()
            return
        if len(pretrained) > 1:
            raise ValueError('ResNet38d accepts one Pretrained init_cfg')
        cfg = pretrained[0]
        path = cfg['checkpoint']
        if '://' not in path and not osp.isfile(osp.expanduser(path)):
            raise MissingInputError(
                f'ResNet38d pretrained weights not found: {path!r}. ' +
                weight_hint(path, 'resnet38d') +
                ' Or set the backbone init_cfg=None to start from random '
                'weights.')
        others = [c for c in cfgs if c is not cfg]
        if others:  # run the other initialisers first, then load on top
            original = self.init_cfg
            self.init_cfg = others
            try:
                super().init_weights()
            finally:
                self.init_cfg = original
        self._load_pretrained(path, cfg.get('prefix'),
                              cfg.get('map_location', 'cpu'))
        self._is_init = True

    def _load_pretrained(self, path: str, prefix: Optional[str],
                         map_location) -> None:
        print_log(f'ResNet38d: load pretrained weights from {path}',
                  logger='current')
        ckpt = CheckpointLoader.load_checkpoint(
            path, map_location=map_location, logger='current')
        state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) \
            else ckpt
        if not isinstance(state, dict):
            raise InvalidInputError(
                f'{path!r} holds no state dict (got {type(state).__name__}).'
                ' ' + weight_hint(path, 'resnet38d'))
        state = {(k[7:] if k.startswith('module.') else k): v
                 for k, v in state.items()}
        if prefix:
            if not prefix.endswith('.'):
                prefix += '.'
            state = {k[len(prefix):]: v
                     for k, v in state.items() if k.startswith(prefix)}
        own = self.state_dict()
        missing = [
            k for k in own
            if k not in state and not k.endswith('num_batches_tracked')
        ]
        if missing:
            raise InvalidInputError(
                f'{path!r} lacks {len(missing)} of the ResNet38d trunk '
                f'tensors (first: {missing[:5]}; prefix={prefix!r}, '
                f'width_mult={self.width_mult}). Fix: point init_cfg at a '
                'converted trunk checkpoint (set init_cfg prefix, e.g. '
                "'backbone.', for a full-model checkpoint). " +
                weight_hint(path, 'resnet38d'))
        wrong = [(k, tuple(state[k].shape), tuple(v.shape))
                 for k, v in own.items()
                 if k in state and state[k].shape != v.shape]
        if wrong:
            raise InvalidInputError(
                f'{path!r} has {len(wrong)} trunk tensors of the wrong shape '
                f'(key, file, model; first: {wrong[:3]}) for width_mult='
                f'{self.width_mult}, in_channels={self.conv1a.in_channels}.'
                ' Fix: use the matching width_mult or re-convert the weights.')
        unexpected = sorted(k for k in state if k not in own)
        if unexpected:
            print_log(
                f'ResNet38d: ignoring {len(unexpected)} non-trunk keys of '
                f'{path}: {unexpected}',
                logger='current',
                level=logging.WARNING)
        # Every trunk tensor is present with the right shape; a missing
        # num_batches_tracked (MXNet weights have none) keeps its value.
        load_state_dict(
            self, {k: v
                   for k, v in state.items() if k in own},
            strict=False,
            logger='current')
        if hasattr(self, '_params_init_info'):  # inside a parent's init
            update_init_info(self, init_info=f'loaded from {path}')
