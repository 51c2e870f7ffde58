"""AEFTClassifier: a CAM classifier trained with adversarial erasing via
triplet (Yoon, Kweon, Cho, Kim, Yoon, "Adversarial Erasing Framework via
Triplet with Gated Pyramid Pooling Layer for Weakly Supervised Semantic
Segmentation", ECCV 2022, doi:10.1007/978-3-031-19818-2_19; official code
https://github.com/KAIST-vilab/AEFT)."""
from typing import List, Optional, Sequence

import torch.nn.functional as F
from mmpretrain.structures import DataSample
from torch import Tensor

from mmwsss.registry import MODELS
from ..losses.triplet_erasing_loss import sample_negatives
from ..utils import minmax_normalize
from .cam_classifier import CAMClassifier


def erasing_mask(cams: Tensor,
                 labels: Tensor,
                 size: Sequence[int],
                 high_thr: float,
                 soft: bool = True,
                 eps: float = 1e-5) -> Tensor:
    """The multiplicative erasing mask M (B, 1, H, W) of Eq. 6-7.

    ``A = N(Up_{H×W}(f⁺))`` (bilinear, min-max normalised per class),
    ``A_fg = max_k y_k A_k``; soft (official):
    ``M = A_fg · [A_fg < t_H]``, so confident pixels are erased and the rest
    is dimmed by its own activation, with gradients through ``A_fg``;
    hard: ``M = [A_fg < t_H]``.
    """
    upsampled = F.interpolate(
        cams.relu(), size=tuple(size), mode='bilinear', align_corners=False)
    active = minmax_normalize(upsampled, eps) * labels[..., None, None]
    foreground = active.max(dim=1, keepdim=True).values
    keep = (foreground < high_thr).to(foreground.dtype)
    return foreground * keep if soft else keep


@MODELS.register_module()
class AEFTClassifier(CAMClassifier):
    """CAM classifier (usually with :class:`GPPHead`) + AEFT.

    With ``aeft_enabled`` each training step also erases the confident
    region of every image (:func:`erasing_mask`, ``I_P = I ⊙ M`` in
    normalised space, so erased pixels take the mean colour), runs the same
    network (train mode) on the erased batch and adds the
    :class:`TripletErasingLoss` terms; the classification loss then uses
    only the first ``cls_batch_size`` images (official: 8 of 32):
    ``L = L_cls(first 8) + 0.2 L_att + 0.15 L_rep``. Without it the step is
    plain classification on the whole batch (AEFT's first T epochs).
    :class:`AEFTSwitchHook` flips the phase (and the batch size) during
    training; plug-in ``losses`` apply in both phases. Inference is the
    CAM classifier's: CAMs from the class map f.

    Args:
        backbone, head, neck, losses, cam_cfg, data_preprocessor, init_cfg:
            as :class:`CAMClassifier`.
        triplet_loss (dict): the AEFT terms. Default:
            ``dict(type='TripletErasingLoss')`` (VOC values).
        erase_thr (float): t_H (VOC 0.6, COCO 0.7). Default: 0.6.
        soft_erasing (bool): the official soft mask (default) or a hard
            binary one. Default: True.
        cls_batch_size (int, optional): images of the batch the
            classification loss uses in the AEFT phase; ``None`` = all.
            Default: 8.
        aeft_enabled (bool): start in the AEFT phase. Default: True.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 neck: Optional[dict] = None,
                 losses: Optional[List[dict]] = None,
                 triplet_loss: dict = dict(type='TripletErasingLoss'),
                 erase_thr: float = 0.6,
                 soft_erasing: bool = True,
                 cls_batch_size: Optional[int] = 8,
                 aeft_enabled: bool = True,
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
        if not 0 < erase_thr <= 1:
            raise ValueError(f'erase_thr must be in (0, 1], got {erase_thr}')
        if cls_batch_size is not None and cls_batch_size < 1:
            raise ValueError(
                f'cls_batch_size must be >= 1 or None, got {cls_batch_size}')
        self.triplet_loss = MODELS.build(triplet_loss)
        self.erase_thr = erase_thr
        self.soft_erasing = soft_erasing
        self.cls_batch_size = cls_batch_size
        self.aeft_enabled = aeft_enabled

    def erase(self, inputs: Tensor, cams: Tensor, labels: Tensor) -> Tensor:
        """The erased (positive) images ``I_P = I ⊙ M``."""
        return inputs * erasing_mask(cams, labels, inputs.shape[-2:],
                                     self.erase_thr, self.soft_erasing)

    def aeft_outputs(self,
                     inputs: Tensor,
                     targets: Tensor,
                     negatives: Optional[Tensor] = None) -> dict:
        """:meth:`train_outputs` plus ``erased_images``, ``erased`` (the
        erased batch's training outputs) and ``negatives`` (label-disjoint
        partners, sampled by :func:`sample_negatives` unless given)."""
        outputs = self.train_outputs(inputs, targets)
        erased = self.erase(inputs, outputs['cams'], targets)
        outputs['erased_images'] = erased
        outputs['erased'] = self.head.forward_train(self.extract_feat(erased))
        outputs['negatives'] = sample_negatives(
            targets) if negatives is None else negatives
        return outputs

    def aeft_loss(self,
                  inputs: Tensor,
                  targets: Tensor,
                  negatives: Optional[Tensor] = None) -> dict:
        """The AEFT-phase losses of one batch (``negatives`` can be fixed
        for reproducible comparisons)."""
        outputs = self.aeft_outputs(inputs, targets, negatives)
        num = self.cls_batch_size or len(inputs)
        losses = self.head.loss(
            dict(logits=outputs['logits'][:num]), targets[:num])
        losses.update(self.triplet_loss(
            **{key: outputs[key]
               for key in self.triplet_loss.inputs}))
        losses.update(self.plugin_losses(outputs))
        return losses

    def loss(self, inputs: Tensor,
             data_samples: List[DataSample]) -> dict:
        if not self.aeft_enabled:
            return super().loss(inputs, data_samples)
        return self.aeft_loss(inputs, self.targets(data_samples))
