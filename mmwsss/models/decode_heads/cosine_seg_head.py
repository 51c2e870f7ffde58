"""Cosine-classifier segmentation head (BANA stage 3, DeepLab-V1 LargeFOV).

Oh, Kim, Ham, "Background-Aware Pooling and Noise-Aware Loss for
Weakly-Supervised Semantic Segmentation", CVPR 2021, arXiv:2104.00905;
official code https://github.com/cvlab-yonsei/BANA. On the feature φ
(for DeepLab-V1, the fc7 output of :class:`VGG16LargeFOV`)::

    s_c(p) = cos(φ(p), W_c)         W: 1x1 conv, no bias, init N(0, 0.01)
    logits = τ·s                    τ = 20

``forward`` / ``predict`` return the logits τ·s (stride 8, then resized
bilinearly with ``align_corners=True``). For the loss, the head also keeps
the raw cosine map s, upsamples both to the label (crop) size before any
loss, and passes s, Y_crf and the reliable region S to losses that declare
``needs_reliable_mask`` (:class:`NoiseAwareLoss`); other losses (e.g. mmseg
``CrossEntropyLoss``) are called the mmseg way on the logits and Y_crf.

Test-time averaging averages the cosine scores of the views and
takes ``softmax(τ·mean s)``. Because the logits are τ·s, this is the mean
of the views' *logits* followed by a softmax: ``CRFSegTTAModel(merge=
'logits')``; mmseg's ``SegTTAModel`` averages the views' softmax instead.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.losses import accuracy
from mmseg.models.utils import resize
from torch import Tensor

from mmwsss.registry import MODELS

CLASSIFIERS = ('cosine', 'dot')


@MODELS.register_module()
class CosineSegHead(BaseDecodeHead):
    """Cosine classifier on the selected backbone feature (φ = input).

    The data samples carry Y_crf as ``gt_sem_seg`` and the loader's
    ``mask_fin`` (Y_crf on S, 255 elsewhere) as ``reliable_key``
    (``gt_sem_seg_reliable``, packed by ``PackPseudoLabelPair``); the
    reliable region is ``mask_fin != ignore_index``. When
    ``mask_fin`` is smaller than the padded ``gt_sem_seg`` (the data
    preprocessor pads only ``gt_sem_seg``), it is padded the same way
    (bottom/right, ``ignore_index``).

    Args:
        in_channels (int): channels of φ (1024 for VGG-16 fc7).
        num_classes (int): classes, background included.
        classifier (str): ``'cosine'`` (τ·cos, BANA) or ``'dot'`` (plain
            bias-free dot product φ·W_c, the DP ablation of BANA's supplement;
            the loss
            still gets the cosine map for σ). Default: ``'cosine'``.
        temperature (float): τ. Default: 20.0.
        eps (float): norm floor of the feature / weight normalisation, as
            ``F.normalize``. Default: 1e-12.
        reliable_key (str): data-sample field with ``mask_fin``. Default:
            ``'gt_sem_seg_reliable'``.
        dropout_ratio (float): Dropout2d on φ before the classifier.
            Default: 0 (DeepLab-V1's dropout sits in the backbone).
        align_corners (bool): of every bilinear resize of the scores.
            Default: True (BANA).
        loss_decode (dict | list[dict]): Default:
            ``dict(type='NoiseAwareLoss')``.
        init_cfg (dict): Default: N(0, 0.01) on the classifier ``conv_seg``.
        **kwargs: other :class:`BaseDecodeHead` arguments.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 classifier: str = 'cosine',
                 temperature: float = 20.0,
                 eps: float = 1e-12,
                 reliable_key: str = 'gt_sem_seg_reliable',
                 dropout_ratio: float = 0.0,
                 align_corners: bool = True,
                 loss_decode=dict(type='NoiseAwareLoss'),
                 init_cfg: Optional[dict] = dict(
                     type='Normal', std=0.01, override=dict(name='conv_seg')),
                 channels: Optional[int] = None,
                 **kwargs) -> None:
        if classifier not in CLASSIFIERS:
            raise ValueError(
                f'classifier must be one of {CLASSIFIERS}, got {classifier!r}')
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        super().__init__(
            in_channels,
            in_channels if channels is None else channels,
            num_classes=num_classes,
            dropout_ratio=dropout_ratio,
            align_corners=align_corners,
            loss_decode=loss_decode,
            init_cfg=init_cfg,
            **kwargs)
        if self.out_channels != num_classes:
            raise ValueError('CosineSegHead needs one score per class '
                             '(out_channels == num_classes).')
        self.classifier = classifier
        self.temperature = temperature
        self.eps = eps
        self.reliable_key = reliable_key
        # bias-free 1x1 classifier (BaseDecodeHead's has a bias)
        self.conv_seg = nn.Conv2d(
            self.channels, self.out_channels, kernel_size=1, bias=False)

    def embed(self, inputs: Sequence[Tensor]) -> Tensor:
        """φ (B, channels, h, w): here the selected input itself."""
        return self._transform_inputs(inputs)

    def cosine(self, feat: Tensor) -> Tensor:
        """``s = cos(φ, W_c)`` (B, num_classes, h, w), in [-1, 1]."""
        weight = self.conv_seg.weight
        weight = F.normalize(
            weight.flatten(1), dim=1, eps=self.eps).view_as(weight)
        return F.conv2d(F.normalize(feat, dim=1, eps=self.eps), weight)

    def scores(self, feat: Tensor) -> Tuple[Tensor, Tensor]:
        """Logits and cosine scores at the feature resolution.

        Args:
            feat (Tensor): φ (B, channels, h, w).

        Returns:
            tuple[Tensor, Tensor]: logits (τ·s, or φ·W for ``'dot'``) and
            the cosine map s, both (B, num_classes, h, w).
        """
        if self.dropout is not None:
            feat = self.dropout(feat)
        cos = self.cosine(feat)
        if self.classifier == 'cosine':
            return self.temperature * cos, cos
        return self.conv_seg(feat), cos

    def cls_seg(self, feat: Tensor) -> Tensor:
        """Class logits (B, num_classes, h, w)."""
        return self.scores(feat)[0]

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Logits (τ·s) at the feature resolution."""
        return self.cls_seg(self.embed(inputs))

    def loss(self, inputs: Tuple[Tensor], batch_data_samples: List,
             train_cfg: dict) -> dict:
        """Losses from the backbone features (the logits and s together)."""
        logits, cos = self.scores(self.embed(inputs))
        return self.loss_by_feat(logits, batch_data_samples, cos_scores=cos)

    def _stack_reliable(self, batch_data_samples: List,
                        size: Tuple[int, int]) -> Optional[Tensor]:
        """(B, H, W) bool S from the samples' ``mask_fin``, padded to
        ``size``; None if the samples carry none."""
        if not all(self.reliable_key in s for s in batch_data_samples):
            return None
        masks = []
        for sample in batch_data_samples:
            fin = getattr(sample, self.reliable_key).data
            pad_h, pad_w = size[0] - fin.shape[-2], size[1] - fin.shape[-1]
            if pad_h < 0 or pad_w < 0:
                raise ValueError(
                    f'{self.reliable_key} of shape {tuple(fin.shape)} is '
                    f'larger than gt_sem_seg {tuple(size)}')
            if pad_h or pad_w:
                fin = F.pad(fin, (0, pad_w, 0, pad_h), value=self.ignore_index)
            masks.append(fin.reshape(size))
        return torch.stack(masks) != self.ignore_index

    def loss_by_feat(self,
                     seg_logits: Tensor,
                     batch_data_samples: List,
                     cos_scores: Optional[Tensor] = None) -> dict:
        """Upsample the scores to the label size and compute the losses.

        Args:
            seg_logits (Tensor): (B, C, h, w) logits.
            batch_data_samples (list[SegDataSample]): with ``gt_sem_seg``
                (Y_crf) and, for NAL, ``reliable_key`` (mask_fin).
            cos_scores (Tensor, optional): (B, C, h, w) cosine scores; by
                default ``seg_logits / τ`` (exact for the cosine
                classifier).

        Returns:
            dict[str, Tensor]: the losses (``loss_decode`` names), their
            logged terms (``<name>_ce``, ...; no ``loss`` in the key) and
            ``acc_seg``.
        """
        seg_label = self._stack_batch_gt(batch_data_samples)
        size = seg_label.shape[2:]
        if cos_scores is None:
            cos_scores = seg_logits / self.temperature
        seg_logits = resize(
            seg_logits,
            size=size,
            mode='bilinear',
            align_corners=self.align_corners)
        cos_scores = resize(
            cos_scores,
            size=size,
            mode='bilinear',
            align_corners=self.align_corners)
        seg_label = seg_label.squeeze(1)
        if self.sampler is not None:
            raise NotImplementedError('CosineSegHead has no pixel sampler.')
        reliable = self._stack_reliable(batch_data_samples, size)
        losses_decode = self.loss_decode if isinstance(
            self.loss_decode, nn.ModuleList) else [self.loss_decode]
        loss = dict()
        for loss_decode in losses_decode:
            name = loss_decode.loss_name
            if getattr(loss_decode, 'needs_reliable_mask', False):
                if reliable is None:
                    raise KeyError(
                        f'{type(loss_decode).__name__} needs the reliable '
                        f'region: the data samples lack '
                        f'{self.reliable_key!r}. Load both pseudo labels '
                        'with LoadPseudoLabelPair and pack them with '
                        'PackPseudoLabelPair (dataset ret_dir=...).')
                value, terms = loss_decode(
                    seg_logits,
                    seg_label,
                    ignore_index=self.ignore_index,
                    reliable_mask=reliable,
                    cos_scores=cos_scores,
                    return_terms=True)
                prefix = name[len('loss_'):]
                loss.update({f'{prefix}_{k}': v for k, v in terms.items()})
            else:
                value = loss_decode(
                    seg_logits, seg_label, ignore_index=self.ignore_index)
            loss[name] = loss[name] + value if name in loss else value
        loss['acc_seg'] = accuracy(
            seg_logits, seg_label, ignore_index=self.ignore_index)
        return loss
