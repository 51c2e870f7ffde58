"""Background-aware pooling (BAP) head: BANA stage 1.

Oh et al., "Background-Aware Pooling and Noise-Aware Loss for
Weakly-Supervised Semantic Segmentation", CVPR 2021 (conventions of the
official code). The tensor functions it is built from live in
:mod:`mmwsss.models.utils.bap_pooling`.

Class indices: the classifier has L + 1 outputs with **background at index
0** and foreground class c (0-based, as in the datasets and mmpretrain) at
index c + 1, as in the official code and the VOC class tuple.
"""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
from torch import Tensor

from mmwsss.ops import normalize_boxes
from mmwsss.registry import MODELS
from ..utils.bap_pooling import (
    Size,
    as_pair,
    bap_pool_boxes,
    bap_sample_set,
    grid_bg_queries,
)
from .base_cam_head import BaseCAMHead


@MODELS.register_module()
class BAPHead(BaseCAMHead):
    """Background-aware pooling + (L+1)-way bias-free classifier (BANA).

    Training (:meth:`forward_train`) takes the features, the boxes of each
    image in input pixels, their 0-based foreground labels and the
    definite-background mask at input resolution, and builds BANA's
    stage-1 sample set (official code, github.com/cvlab-yonsei/BANA):

    - background queries of an N×N grid (:func:`grid_bg_queries`);
    - per box, a resampled RoI weighted by 1 - A, A the mean ReLU cosine
      to the image's valid queries, pooled in R×R bins
      (:func:`bap_pool_boxes`);
    - GAP (w ≡ 1) for the boxes of an image whose crop is at most
      ``valid_bg_ratio`` definite background or that has no valid cell
      (an official-code fallback, not in the paper), and for every box
      when ``use_bap=False`` (the paper's GAP baseline);
    - logits ``w_c · x`` over L + 1 classes, background at index 0, and
      the mean CE over bins (target: box class) and valid queries
      (target 0) (:func:`bap_sample_set`).

    Inference follows the CAM-head contract: :meth:`class_maps` gives the
    foreground maps ``w_c · f`` (c = 1..L, the stage-2 CAMs before ReLU,
    from the bias-free dot-product classifier); :meth:`score_maps` adds
    the background map.

    Args:
        num_classes (int): foreground classes L (the classifier has L + 1
            outputs).
        in_channels (int): feature channels K.
        in_index (int): which backbone/neck output to use. Default: -1.
        grid_size (int): N of the background grid. Default: 4.
        roi_size (int | tuple[int, int]): pooled bins per box axis.
            Default: 2 (official); 1 = the paper's one feature per
            box.
        valid_bg_ratio (float): an image uses BAP only if more than this
            fraction of its (input-size) mask is background. Default: 0.125
            (official code; not in the paper).
        use_bap (bool): False gives the GAP baseline (w ≡ 1). Default: True.
        fallback_queries (bool): also use the valid queries of images that
            fall back to GAP as background samples. Default: True (the
            official code uses all valid background queries of all
            images).
        sample_align_corners (bool): ``grid_sample`` convention of the RoI
            sampling. Default: False (official; the boxes are normalised
            with the align-corners rule); True is the consistent
            "fixed" variant.
        eps (float): eps of the normalisations and weighted means.
            Default: 1e-12.
        loss_cls (dict): CE loss on (logits, targets). Default: mmseg's
            ``CrossEntropyLoss`` named ``loss_bap`` (mean over samples).
        init_cfg (dict, optional): Default: N(0, 0.01) on the classifier
            (as the official code).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 in_index: int = -1,
                 grid_size: int = 4,
                 roi_size: Size = 2,
                 valid_bg_ratio: float = 0.125,
                 use_bap: bool = True,
                 fallback_queries: bool = True,
                 sample_align_corners: bool = False,
                 eps: float = 1e-12,
                 loss_cls: dict = dict(
                     type='CrossEntropyLoss',
                     avg_non_ignore=True,
                     loss_name='loss_bap'),
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(
                     type='Normal', layer='Conv2d', std=0.01)):
        super().__init__(
            num_classes, in_index=in_index, loss_cls=loss_cls,
            init_cfg=init_cfg)
        if grid_size < 1:
            raise ValueError(f'grid_size must be >= 1, got {grid_size}')
        if min(as_pair(roi_size)) < 1:
            raise ValueError(f'roi_size must be >= 1, got {roi_size}')
        if not 0 <= valid_bg_ratio < 1:
            raise ValueError(
                f'valid_bg_ratio must be in [0, 1), got {valid_bg_ratio}')
        self.grid_size = grid_size
        self.roi_size = as_pair(roi_size)
        self.valid_bg_ratio = valid_bg_ratio
        self.use_bap = use_bap
        self.fallback_queries = fallback_queries
        self.sample_align_corners = sample_align_corners
        self.eps = eps
        # index 0 = background, c + 1 = foreground class c
        self.classifier = nn.Conv2d(
            in_channels, num_classes + 1, 1, bias=False)

    @property
    def weight(self) -> Tensor:
        """Classifier weights w (L + 1, K), background first."""
        return self.classifier.weight.flatten(1)

    def score_maps(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """All L + 1 maps ``w_c · f`` (B, L + 1, h, w), background first."""
        return self.classifier(self._select(feats))

    def class_maps(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Foreground maps ``w_c · f`` (B, L, h, w), no ReLU: the CAMs."""
        return self.score_maps(feats)[:, 1:]

    def forward(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Image logits (B, L): spatial mean of the foreground maps (used
        only for ``pred_score`` at inference; training uses box samples)."""
        return self.class_maps(feats).mean(dim=(2, 3))

    def valid_background(self, bg_masks: Tensor) -> Tensor:
        """Per-image flag (B,): background fraction > ``valid_bg_ratio``."""
        frac = (bg_masks > 0).flatten(1).float().mean(dim=1)
        return frac > self.valid_bg_ratio

    def forward_train(self,
                      feats: Union[Tensor, Sequence[Tensor]],
                      boxes: Sequence[Tensor],
                      box_labels: Sequence[Tensor],
                      bg_masks: Tensor) -> dict:
        """BAP sample set of a batch.

        Args:
            feats: backbone/neck output(s); the selected map is (B, K, h, w).
            boxes (list[Tensor]): per image (n_b, 4) x0, y0, x1, y1 in
                pixels of the network input (normalised here with
                :func:`normalize_boxes` and the mask size).
            box_labels (list[Tensor]): per image (n_b,) 0-based foreground
                labels (class id = label + 1).
            bg_masks (Tensor): (B, H, W) definite-background masks at input
                resolution, 1 = outside every box.

        Returns:
            dict: ``cams`` (B, L, h, w) foreground maps; ``logits`` (B, L)
            their spatial mean; ``feats`` (B, K, h, w); ``bg_queries``
            (B, N², K) and ``bg_valid`` (B, N²); ``valid_bg`` (B,) the
            image flags; ``use_attention`` (B,) whether BAP (not GAP) was
            used; ``box_feats`` (n, R, K); ``box_img_idx`` (n,);
            ``box_classes`` (n,) in 1..L; ``attention`` (list of (BH, BW)
            A maps, one per box); ``sample_logits`` (S, L + 1) and
            ``sample_targets`` (S,) (bins first, then queries).
        """
        x = self._select(feats)
        batch = x.shape[0]
        if len(boxes) != batch or len(box_labels) != batch:
            raise ValueError(f'got {len(boxes)} box lists and '
                             f'{len(box_labels)} label lists for {batch} '
                             'images')
        if bg_masks.shape[0] != batch:
            raise ValueError(f'got {bg_masks.shape[0]} masks for {batch} '
                             'images')
        img_size = tuple(bg_masks.shape[-2:])
        queries, valid = grid_bg_queries(x, bg_masks, self.grid_size,
                                         self.eps)
        valid_bg = self.valid_background(bg_masks)
        box_feats, img_idx, classes, attention, used = [], [], [], [], []
        bg_samples = []
        for b in range(batch):
            q_b = queries[b][valid[b]]
            use_att = bool(self.use_bap and valid_bg[b] and q_b.shape[0])
            used.append(use_att)
            if use_att or self.fallback_queries:
                bg_samples.append(q_b)
            boxes_b = torch.as_tensor(boxes[b]).reshape(-1, 4)
            pooled, att = bap_pool_boxes(
                x[b], normalize_boxes(boxes_b, img_size),
                q_b if use_att else None, self.roi_size,
                self.sample_align_corners, self.eps)
            box_feats.append(pooled)
            attention.extend(att)
            labels_b = torch.as_tensor(box_labels[b]).reshape(-1).long()
            classes.append(labels_b.to(x.device) + 1)
            img_idx.append(torch.full_like(classes[-1], b))
        box_feats = torch.cat(box_feats)
        classes = torch.cat(classes)
        if classes.numel() != box_feats.shape[0]:
            raise ValueError(f'{box_feats.shape[0]} boxes but '
                             f'{classes.numel()} labels')
        bg_samples = torch.cat(bg_samples) if bg_samples else x.new_zeros(
            0, x.shape[1])
        logits, targets, _ = bap_sample_set(box_feats, classes, bg_samples,
                                            self.weight)
        cams = self.class_maps(x)
        return dict(
            cams=cams,
            logits=cams.mean(dim=(2, 3)),
            feats=x,
            bg_queries=queries,
            bg_valid=valid,
            valid_bg=valid_bg,
            use_attention=torch.tensor(used, device=x.device),
            box_feats=box_feats,
            box_img_idx=torch.cat(img_idx),
            box_classes=classes,
            attention=attention,
            sample_logits=logits,
            sample_targets=targets)

    def loss(self, outputs: dict, targets: Optional[Tensor] = None) -> dict:
        """Mean CE over the sample set of :meth:`forward_train`.

        ``targets`` (image labels) are not used; the sample targets come
        from the boxes. An empty sample set gives a zero loss (no NaN).
        """
        logits = outputs['sample_logits']
        if logits.shape[0] == 0:
            loss = self.weight.sum() * 0 + outputs['feats'].sum() * 0
        else:
            loss = self.loss_cls(logits, outputs['sample_targets'])
        return {self.loss_cls.loss_name: loss}
