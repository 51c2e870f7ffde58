"""AffinityNet: a trunk and an affinity head trained on pair labels cut from
CRF-refined CAMs; its affinities drive the random walk of the pseudo-label
stage."""
import math
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import Tensor

from mmwsss.ops.pair_sets import check_pair_options, resolve_radius
from mmwsss.registry import MODELS

LABEL_KEYS = ('bg_pos', 'fg_pos', 'neg')
DEFAULT_PREPROCESSOR = dict(
    type='ImgDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True)


@MODELS.register_module()
class AffinityNet(BaseModel):
    """AffinityNet (psa).

    Ahn and Kwak, "Learning Pixel-level Semantic Affinity with Image-level
    Supervision for Weakly Supervised Semantic Segmentation", CVPR 2018,
    arXiv:1803.10464, https://github.com/jiwoon-ahn/psa
    (``network/resnet38_aff.py``, ``train_aff.py``, ``infer_aff.py``); as
    used by AEFT (ECCV 2022, https://github.com/KAIST-vilab/AEFT) and hfpl
    (WACV 2024, arXiv:2304.02621, https://github.com/arvijj/hfpl).

    ``phi = head(backbone(x))`` on the stride-8 grid, and for every pair
    (i, j) of the pair set ``a_ij = exp(-mean_c |phi_c(i) - phi_c(j)|)``
    (:class:`AffinityHead`), trained with :class:`AffinityLoss` on the pair
    labels ``bg_pos``, ``fg_pos``, ``neg`` of each data sample (transform
    ``CRFAffinityLabel``; its radius settings must equal the model's).

    Modes: ``'loss'`` (the loss dict), ``'tensor'`` (phi). There is no
    ``'predict'`` mode: pseudo labels come from the random walk
    (``PSARandomWalkRefiner``), which calls :meth:`predict_affinity`.

    Args:
        backbone (dict): e.g. ``ResNet38d(out_indices=('b5_in', 'b6_in',
            'final'), dropout=(0.3, 0.5), frozen_stages=('conv1a', 'b2',
            'b2_1', 'b2_2'), norm_eval=True)``.
        head (dict): ``AffinityHead`` with the trunk's channel counts.
        loss (dict): Default: ``dict(type='AffinityLoss')``.
        radius (int): pair radius. Default: 5.
        radius_rule (str): ``'psa'`` (fixed, error on grids narrower than
            5 x 9 cells), ``'aeft'`` (AEFT / hfpl: shrink on grids whose
            shorter side is < 11 cells) or ``'fixed'`` (for
            ``pair_set='full'``). Default: ``'psa'``.
        pair_set (str): ``'psa'`` (official: no sources near the left,
            right and bottom borders) or ``'full'`` (all in-grid pairs, in
            training and in the walk). Default: ``'psa'``.
        stride (int): output stride of the backbone. Default: 8.
        data_preprocessor (dict, optional): Default: mmengine's
            ``ImgDataPreprocessor`` with the ImageNet RGB mean / std and
            ``bgr_to_rgb=True`` (images are loaded BGR).
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 loss: Optional[dict] = None,
                 radius: int = 5,
                 radius_rule: str = 'psa',
                 pair_set: str = 'psa',
                 stride: int = 8,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor or dict(DEFAULT_PREPROCESSOR),
            init_cfg=init_cfg)
        check_pair_options(radius, radius_rule, pair_set)
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head)
        self.affinity_loss = MODELS.build(loss or dict(type='AffinityLoss'))
        self.radius = int(radius)
        self.radius_rule = radius_rule
        self.pair_set = pair_set
        self.stride = int(stride)

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """The backbone's (conv4, conv5, conv6)."""
        feats = self.backbone(inputs)
        return (feats, ) if isinstance(feats, Tensor) else tuple(feats)

    def radius_for(self, grid: Sequence[int]) -> int:
        """The pair radius on an (h, w) grid under ``radius_rule``."""
        return resolve_radius(
            tuple(grid), self.radius, self.radius_rule, self.pair_set)

    def affinities(self, inputs: Tensor) -> Tuple[Tensor, int]:
        """Pair affinities (B, |D_r|, n_src) of normalised images and r."""
        phi = self.head(self.extract_feat(inputs))
        radius = self.radius_for(phi.shape[-2:])
        return self.head.pair_affinities(phi, radius, self.pair_set), radius

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.head(self.extract_feat(inputs))
        if mode == 'predict':
            raise NotImplementedError(
                'AffinityNet has no predict mode: pseudo labels come from '
                "the random walk (refiner type='PSARandomWalkRefiner', which "
                'calls AffinityNet.predict_affinity). Set val_cfg=None, '
                'val_dataloader=None and val_evaluator=None in the config.')
        raise RuntimeError(f'Invalid mode "{mode}": use loss or tensor')

    def loss(self, inputs: Tensor,
             data_samples: List[BaseDataElement]) -> dict:
        """Affinity loss of a batch; the labels are stacked per sample."""
        if not data_samples or any(key not in data_samples[0]
                                   for key in LABEL_KEYS):
            raise ValueError(
                'AffinityNet needs pair labels bg_pos / fg_pos / neg in '
                'every data sample: end the training pipeline with '
                "dict(type='CRFAffinityLabel', ...) and "
                "dict(type='PackAffinityInputs').")
        aff, radius = self.affinities(inputs)
        labels = {
            key: torch.stack([s.get(key) for s in data_samples]).to(aff)
            for key in LABEL_KEYS
        }
        if labels['bg_pos'].shape != aff.shape:
            raise ValueError(
                f'Pair labels {tuple(labels["bg_pos"].shape)} do not match '
                f'the affinities {tuple(aff.shape)} (radius {radius}, '
                f'radius_rule {self.radius_rule!r}, pair_set '
                f'{self.pair_set!r}): give CRFAffinityLabel the model\'s '
                'radius, radius_rule and pair_set, and the stride of the '
                'backbone.')
        return self.affinity_loss(aff, **labels)

    @property
    def _param(self) -> Tensor:
        return next(self.parameters())

    def normalize(self, image: np.ndarray) -> Tensor:
        """(1, 3, Hp, Wp) network input of an (H, W, 3) uint8 RGB image:
        ``(x - mean) / std`` of the data preprocessor, then zero padding
        (= the mean colour) at the bottom / right to multiples of the
        stride. A preprocessor without ``bgr_to_rgb`` means the network was
        trained on the BGR images mmcv loads, so the channels are reversed
        first."""
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError('predict_affinity takes an (H, W, 3) RGB image, '
                             f'got shape {image.shape}')
        param = self._param
        x = torch.from_numpy(np.ascontiguousarray(image)).to(
            param.device).permute(2, 0, 1).to(param.dtype)
        pre = self.data_preprocessor
        if not getattr(pre, '_channel_conversion', True):
            x = x.flip(0)
        if getattr(pre, '_enable_normalize', False):
            x = (x - pre.mean.to(x)) / pre.std.to(x)
        height, width = image.shape[:2]
        pad_h = self.stride * math.ceil(height / self.stride) - height
        pad_w = self.stride * math.ceil(width / self.stride) - width
        return F.pad(x, (0, pad_w, 0, pad_h))[None]

    def predict_affinity(self, image: np.ndarray) -> dict:
        """Affinities of one image for the random walk.

        Runs in eval mode without gradients on the model's device (the
        previous train / eval mode is restored afterwards).

        Args:
            image (np.ndarray): (H, W, 3) uint8 RGB.

        Returns:
            dict: ``affinity`` (|D_r|, n_src) float32 tensor on the model's
            device (PSA pairs, direction-major, on the (Hp / 8) x (Wp / 8)
            grid), ``radius``, ``grid`` (h, w), ``inputs`` (1, 3, Hp, Wp)
            the normalised padded image, ``stride`` and ``pair_set``.
        """
        inputs = self.normalize(image)
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                phi = self.head(self.extract_feat(inputs))
                grid = tuple(int(s) for s in phi.shape[-2:])
                radius = self.radius_for(grid)
                aff = self.head.pair_affinities(phi, radius, self.pair_set)
        finally:
            self.train(was_training)
        return dict(
            affinity=aff[0].float(),
            radius=radius,
            grid=grid,
            inputs=inputs,
            stride=self.stride,
            pair_set=self.pair_set)
