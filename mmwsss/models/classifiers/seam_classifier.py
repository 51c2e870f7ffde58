"""SEAMClassifier: SEAM's two-view CAM network (Wang et al., CVPR 2020).

"Self-supervised Equivariant Attention Mechanism for Weakly Supervised
Semantic Segmentation" (arXiv:2004.04581; official code
https://github.com/YudeWang/SEAM), in the form the ISL/FSL paper builds on
(Jonnarth, Zhang, Felsberg, "High-fidelity Pseudo-labels for Boosting
Weakly-Supervised Segmentation", WACV 2024, arXiv:2304.02621; official code
https://github.com/arvijj/hfpl, ``train_cam_voc.py``), with the ISL/FSL
plug-in losses on view 1's raw score maps. The pieces of the loss are the plain
tensor functions of :mod:`mmwsss.models.losses.seam_losses`.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch.nn.functional as F
from mmpretrain.structures import DataSample
from torch import Tensor

from mmwsss.registry import MODELS
from ..losses.seam_losses import (
    adaptive_min_pooling_loss,
    equivariant_cross_regularization,
    equivariant_regularization,
    fill_background,
    resize_align_corners,
    with_background,
)
from ..utils import CAM_NORMALIZERS, minmax_normalize
from .cam_classifier import CAMClassifier

_EPS = 1e-5  # SEAM's max_norm offset
_SEAM_TERMS = ('loss_min_pool', 'loss_er', 'loss_ecr')


@MODELS.register_module()
class SEAMClassifier(CAMClassifier):
    """SEAM: CAM network + PCM trained on two views with equivariance.

    The head (``GAPHead`` with ``num_classes = 1 + K``, Dropout2d 0.5)
    scores background (channel 0) and the K foreground classes; the
    :class:`PixelCorrelationModule` turns the detached score maps into the
    refined ``cam_rv``. One training step, with ``y`` the
    labels, ``ȳ = [1, y]``, ``up`` the bilinear (``align_corners=True``)
    resize to the view's input size, ``N(·)`` SEAM's max-norm
    (:func:`minmax_normalize`) and ``↓`` the same resize to view 2::

        view 1: I_1 (e.g. 448²);  view 2: I_2 = ↓I_1 by ×0.3 (134²)
        cam_v = up(s_v),  cam_rv_v = up(PCM(s_v))       (B, 1+K, H_v, W_v)
        L_GAP,v = MLSM(mean_HW cam_v[1:], y)
        L_mp,v  = adaptive_min_pooling_loss(cam_rv_v[1:] · y)
        ĉ_1 = ↓N(cam_1)·ȳ,  r̂_1 = ↓N(cam_rv_1)·ȳ
        ĉ_2 = N(cam_2)·ȳ,   r̂_2 = N(cam_rv_2)·ȳ
        L_ER  = mean |ĉ_1[1:] - ĉ_2[1:]|
        L_ECR = ecr(bg(ĉ_2), r̂_1) + ecr(bg(ĉ_1), r̂_2)     (top 20 %)
        L = w_1 L_GAP,1 + w_2 L_GAP,2 + w_mp (L_mp,1 + L_mp,2)
            + w_ER L_ER + w_ECR L_ECR + Σ plug-in losses (view 1)

    with ``bg(·)`` = :func:`fill_background` and ``ecr`` =
    :func:`equivariant_cross_regularization`; official weights
    ``w_1 = w_2 = w_mp = ½`` and ``w_ER = w_ECR = 1``. Gradients: the PCM
    sees detached features and a detached seed, so ``cam_rv`` trains only
    the PCM (through L_mp and L_ECR); the ECR target is detached.

    Plug-in losses (``losses``) see view 1 only, as the official ISL/FSL
    code: ``cams`` are the raw **foreground** score maps
    ``s_1[:, 1:]`` (B, K, h, w) at head resolution (dropout active, in the
    graph; FSL's prediction map rebuilds the background itself),
    ``logits`` = mean_HW cam_1[1:] (B, K), ``labels``, ``images``,
    ``rgb_images``; extras: ``score_maps`` (all 1 + K raw maps),
    ``cam_rv`` (B, 1 + K, h, w) and ``view2`` (the second view's maps).

    ISL mixing. The official code replaces view 1's GAP term by
    ``(1 - λ)·L_GAP,1 + λ·ISL`` (λ = 0.2) inside SEAM's ½ average, so the
    effective weights are GAP,1 ½(1 - λ) = 0.4, ISL ½λ = 0.1 and GAP,2
    ½ = 0.5. Reproduce it with ``view_cls_weights=(0.4, 0.5)`` and
    ``dict(type='ImportanceSamplingLoss', loss_weight=0.1)``; in general
    ``view_cls_weights=(0.5 * (1 - λ), 0.5)``, ISL ``loss_weight=0.5 * λ``.

    Inference: CAMs come from ``cam_rv`` (``cam_source``) through
    :func:`multi_scale_cam` (summed over scales and flips), then
    normalised per class with ``cam_cfg['normalize']``: SEAM's default
    ``'minmax'`` (``ReLU(v - min - ε) / (max - min + ε)``, i.e. values
    below min + ε become 0), or ``True``/``'max'`` (``v / (max + ε)``, what
    the other CAM classifiers use), or ``False``.

    Args:
        backbone (dict): trunk; must return the PCM's two levels and the
            head's feature, e.g. ``ResNet38d(out_indices=('b5_in', 'b6_in',
            'final'))``.
        head (dict): CAM head with ``num_classes = 1 + K`` (background
            first) and a ``loss_cls``, e.g. ``GAPHead(num_classes=21,
            in_channels=4096, dropout=0.5)``.
        pcm (dict): the PCM. Default: ``PixelCorrelationModule`` with
            ResNet-38d widths.
        neck (dict, optional): as :class:`CAMClassifier`.
        losses (list[dict], optional): plug-in losses on view 1.
        scale_factor (float): size of view 2 relative to view 1. Default:
            0.3.
        view_cls_weights (tuple[float, float]): weights of L_GAP,1 and
            L_GAP,2 (times the head loss's own ``loss_weight``). Default:
            (0.5, 0.5).
        min_pool_weight (float): weight of each view's min-pooling term.
            Default: 0.5.
        min_pool_ratio (float): share of pixels min-pooled. Default: 0.25.
        er_weight (float): weight of L_ER. Default: 1.0.
        ecr_weight (float): weight of L_ECR. Default: 1.0.
        ecr_top_ratio (float): share of elements in each ECR top-k.
            Default: 0.2.
        cam_source (str): ``'cam_rv'`` (official inference) or ``'cam'``
            (the plain head CAM). Default: ``'cam_rv'``.
        cam_cfg (dict, optional): as :class:`CAMClassifier`; ``normalize``
            may also be ``'minmax'`` (the default here) or ``'max'``.
        data_preprocessor (dict, optional): with ``num_classes = K``.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 pcm: dict = dict(type='PixelCorrelationModule'),
                 neck: Optional[dict] = None,
                 losses: Optional[List[dict]] = None,
                 scale_factor: float = 0.3,
                 view_cls_weights: Sequence[float] = (0.5, 0.5),
                 min_pool_weight: float = 0.5,
                 min_pool_ratio: float = 0.25,
                 er_weight: float = 1.0,
                 ecr_weight: float = 1.0,
                 ecr_top_ratio: float = 0.2,
                 cam_source: str = 'cam_rv',
                 cam_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            backbone=backbone,
            head=head,
            neck=neck,
            losses=losses,
            cam_cfg=cam_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if self.head.num_classes < 2:
            raise ValueError(
                'SEAMClassifier: the head scores background + K classes, so '
                f'num_classes must be 1 + K >= 2, got '
                f'{self.head.num_classes}')
        if getattr(self.head, 'loss_cls', None) is None:
            raise ValueError('SEAMClassifier needs a head with a loss_cls')
        if not 0 < scale_factor <= 1:
            raise ValueError(
                f'scale_factor must be in (0, 1], got {scale_factor}')
        view_cls_weights = tuple(float(w) for w in view_cls_weights)
        if len(view_cls_weights) != 2:
            raise ValueError('view_cls_weights must be two weights, got '
                             f'{view_cls_weights}')
        for name, ratio in (('min_pool_ratio', min_pool_ratio),
                            ('ecr_top_ratio', ecr_top_ratio)):
            if not 0 < ratio <= 1:
                raise ValueError(f'{name} must be in (0, 1], got {ratio}')
        if cam_source not in ('cam_rv', 'cam'):
            raise ValueError('cam_source must be "cam_rv" or "cam", got '
                             f'"{cam_source}"')
        normalize = self.cam_cfg.setdefault('normalize', 'minmax')
        if normalize not in CAM_NORMALIZERS:
            raise ValueError(
                f'cam_cfg.normalize must be one of {list(CAM_NORMALIZERS)}, '
                f'got {normalize!r}')
        cls_name = self.head.loss_cls.loss_name
        taken = set(self.seam_loss_names(cls_name))
        clash = [loss.loss_name for loss in self.losses
                 if loss.loss_name in taken]
        if clash:
            raise ValueError(f'losses: the loss names {clash} are SEAM\'s '
                             'own terms; set loss_name=...')
        self.pcm = MODELS.build(pcm)
        self.scale_factor = scale_factor
        self.view_cls_weights = view_cls_weights
        self.min_pool_weight = min_pool_weight
        self.min_pool_ratio = min_pool_ratio
        self.er_weight = er_weight
        self.ecr_weight = ecr_weight
        self.ecr_top_ratio = ecr_top_ratio
        self.cam_source = cam_source

    @staticmethod
    def seam_loss_names(cls_name: str = 'loss_cls') -> Tuple[str, ...]:
        """Keys of SEAM's own terms in the loss dict."""
        return (f'{cls_name}_view1', f'{cls_name}_view2') + _SEAM_TERMS

    @property
    def num_classes(self) -> int:
        """K, the foreground classes (the head has 1 + K channels)."""
        return self.head.num_classes - 1

    # ------------------------------------------------------------------
    # forward pieces
    def class_maps(self, inputs: Tensor) -> Tensor:
        """Raw foreground score maps (B, K, h, w) (the plain CAM)."""
        return self.head.class_maps(self.extract_feat(inputs))[:, 1:]

    def refined_class_maps(self, inputs: Tensor) -> Tensor:
        """Foreground ``cam_rv`` (B, K, H, W), resized to the input size
        with ``align_corners=True`` as the official network returns it."""
        feats = self.extract_feat(inputs)
        cam_rv = self.pcm(self.head.class_maps(feats), feats, inputs)
        return resize_align_corners(cam_rv, inputs.shape[-2:])[:, 1:]

    def _forward(self, inputs: Tensor) -> Tensor:
        """Foreground image logits (B, K) (mean of the head-size maps)."""
        return self.head(self.extract_feat(inputs))[:, 1:]

    def second_view(self, inputs: Tensor) -> Tensor:
        """View 2: ``inputs`` resized by ``scale_factor`` (bilinear,
        ``align_corners=True``; size ``⌊s·H⌋ × ⌊s·W⌋``, 448 -> 134)."""
        view = F.interpolate(
            inputs,
            scale_factor=self.scale_factor,
            mode='bilinear',
            align_corners=True)
        if min(view.shape[-2:]) < 1:
            raise ValueError(f'{tuple(inputs.shape[-2:])} inputs are too '
                             f'small for scale_factor {self.scale_factor}')
        return view

    def view_outputs(self, inputs: Tensor) -> dict:
        """The maps of one view.

        Returns:
            dict: ``score_maps`` (B, 1+K, h, w) raw head maps; ``cams`` their
            foreground channels; ``cam_rv`` (B, 1+K, h, w) PCM output;
            ``up_cams``, ``up_cam_rv`` both resized to the input size
            (``align_corners=True``); ``logits`` (B, K) = spatial mean of
            ``up_cams[:, 1:]`` (SEAM's GAP).
        """
        feats = self.extract_feat(inputs)
        score_maps = self.head.class_maps(feats)
        cam_rv = self.pcm(score_maps, feats, inputs)
        size = inputs.shape[-2:]
        up_cams = resize_align_corners(score_maps, size)
        return dict(
            score_maps=score_maps,
            cams=score_maps[:, 1:],
            cam_rv=cam_rv,
            up_cams=up_cams,
            up_cam_rv=resize_align_corners(cam_rv, size),
            logits=up_cams[:, 1:].mean(dim=(2, 3)))

    def train_outputs(self, inputs: Tensor, targets: Tensor) -> dict:
        """View 1's :meth:`view_outputs` plus ``images``, ``labels``,
        ``rgb_images`` (the plug-in keys) and ``view2`` (view 2's
        :meth:`view_outputs` and its ``images``)."""
        outputs = self.view_outputs(inputs)
        outputs.update(
            images=inputs,
            labels=targets,
            rgb_images=self.denormalize(inputs))
        view2 = self.second_view(inputs)
        outputs['view2'] = self.view_outputs(view2)
        outputs['view2']['images'] = view2
        return outputs

    # ------------------------------------------------------------------
    # losses
    def seam_loss(self, outputs: dict, targets: Tensor) -> Dict[str, Tensor]:
        """SEAM's own terms (see the class docstring) from
        :meth:`train_outputs`, each already weighted."""
        view1, view2 = outputs, outputs['view2']
        loss_cls = self.head.loss_cls
        w1, w2 = self.view_cls_weights
        fg_labels = targets[:, :, None, None].to(view1['up_cams'].dtype)
        labels = with_background(targets)[:, :, None, None].to(
            fg_labels.dtype)
        losses = {
            f'{loss_cls.loss_name}_view1':
            w1 * loss_cls(view1['logits'], targets),
            f'{loss_cls.loss_name}_view2':
            w2 * loss_cls(view2['logits'], targets),
        }
        min_pool = sum(
            adaptive_min_pooling_loss(v['up_cam_rv'][:, 1:] * fg_labels,
                                      self.min_pool_ratio)
            for v in (view1, view2))
        losses['loss_min_pool'] = self.min_pool_weight * min_pool

        size = view2['up_cams'].shape[-2:]
        cam1 = resize_align_corners(
            minmax_normalize(view1['up_cams'], _EPS), size) * labels
        cam_rv1 = resize_align_corners(
            minmax_normalize(view1['up_cam_rv'], _EPS), size) * labels
        cam2 = minmax_normalize(view2['up_cams'], _EPS) * labels
        cam_rv2 = minmax_normalize(view2['up_cam_rv'], _EPS) * labels
        losses['loss_er'] = self.er_weight * equivariant_regularization(
            cam1[:, 1:], cam2[:, 1:])
        cam1, cam2 = fill_background(cam1), fill_background(cam2)
        ecr = (
            equivariant_cross_regularization(cam2, cam_rv1,
                                             self.ecr_top_ratio) +
            equivariant_cross_regularization(cam1, cam_rv2,
                                             self.ecr_top_ratio))
        losses['loss_ecr'] = self.ecr_weight * ecr
        return losses

    def loss(self, inputs: Tensor,
             data_samples: List[DataSample]) -> dict:
        targets = self.targets(data_samples)
        outputs = self.train_outputs(inputs, targets)
        losses = self.seam_loss(outputs, targets)
        losses.update(self.plugin_losses(outputs))
        return losses

    # ------------------------------------------------------------------
    # inference
    def cam_maps(self, inputs: Tensor) -> Tensor:
        """The maps the CAMs are made of, per ``cam_source``."""
        return (self.refined_class_maps(inputs)
                if self.cam_source == 'cam_rv' else self.class_maps(inputs))


__all__ = ['SEAMClassifier']
