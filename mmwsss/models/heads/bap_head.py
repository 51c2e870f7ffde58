"""Background-aware pooling (BAP) head: BANA stage 1.

Oh et al., "Background-Aware Pooling and Noise-Aware Loss for
Weakly-Supervised Semantic Segmentation", CVPR 2021; spec
``specs/bana.md`` §3.3-§3.7 (conventions of the official code, [C]).

The pieces are plain tensor functions (spec §9, §10 (a)-(c)) so they can be
checked on their own with weights given as plain tensors:

- :func:`grid_padding`, :func:`grid_bg_queries`: (a) background queries of
  an N×N grid and the validity of each cell;
- :func:`normalize_boxes`, :func:`roi_sample`, :func:`background_attention`,
  :func:`bin_pool`, :func:`bap_pool_boxes`: (b) per-box RoI sampling,
  background attention and R×R pooling;
- :func:`bap_sample_set`: (c) the stage-1 samples, their logits, targets
  and the cross-entropy.

Class indices: the classifier has L + 1 outputs with **background at index
0** and foreground class c (0-based, as in the datasets and mmpretrain) at
index c + 1, as in the official code and the VOC class tuple (spec §6.1).
"""
import math
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmwsss.registry import MODELS
from .base_cam_head import BaseCAMHead

_Size = Union[int, Sequence[int]]


def _pair(value: _Size) -> Tuple[int, int]:
    if isinstance(value, int):
        return value, value
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f'expected an int or a pair, got {value}')
    return value


# --------------------------------------------------------------------------
# (a) grid background queries


def grid_padding(size: int, grid_size: int) -> Tuple[int, int]:
    """Zero padding (before, after) that makes ``size`` a multiple of N.

    Spec §3.3 step 2: P = (N - size mod N) mod N; an even P is split
    evenly, an odd P goes entirely to the end (bottom / right).

    Args:
        size (int): length of the axis (feature rows or columns).
        grid_size (int): N.

    Returns:
        tuple[int, int]: padding before and after.
    """
    if grid_size < 1:
        raise ValueError(f'grid_size must be >= 1, got {grid_size}')
    pad = (grid_size - size % grid_size) % grid_size
    if pad % 2 == 0:
        return pad // 2, pad // 2
    return 0, pad


def resize_bg_mask(bg_mask: Tensor, size: Sequence[int]) -> Tensor:
    """Binary definite-background mask (B, h, w) float at feature size.

    Nearest-neighbour resizing (PyTorch's ``'nearest'``: source index
    ``floor(i · in / out)``), spec §3.3 step 1. Values > 0 count as
    background.

    Args:
        bg_mask (Tensor): (B, H, W) or (B, 1, H, W), 1 = definite
            background (outside every box).
        size (tuple[int, int]): (h, w).
    """
    mask = (bg_mask > 0).float()
    if mask.dim() == 3:
        mask = mask[:, None]
    if tuple(mask.shape[-2:]) != tuple(size):
        mask = F.interpolate(mask, size=tuple(size), mode='nearest')
    return mask[:, 0]


def grid_bg_queries(feats: Tensor,
                    bg_mask: Tensor,
                    grid_size: int = 4,
                    eps: float = 1e-12) -> Tuple[Tensor, Tensor]:
    """Background queries q_j of an N×N grid and their validity (§3.3).

    The mask is resized to the feature size (nearest), mask and features
    are zero-padded with :func:`grid_padding` (padded positions are not
    background), split into N×N equal cells j = 0..N²-1 (row-major) and

        q_j = Σ_{p∈G(j)} M(p) f(p) / (Σ_{p∈G(j)} M(p) + eps).

    A cell is valid iff Σ M > 0; an invalid cell gives q_j = 0.

    Args:
        feats (Tensor): features f (B, K, h, w).
        bg_mask (Tensor): definite-background mask M (B, H, W) or
            (B, 1, H, W) at any resolution, 1 = background.
        grid_size (int): N. Default: 4 (training); 1 for pseudo labels.
        eps (float): added to the cell's mask count. Default: 1e-12.

    Returns:
        tuple[Tensor, Tensor]: queries (B, N², K) and valid (B, N²) bool.
    """
    batch, channels, height, width = feats.shape
    mask = resize_bg_mask(bg_mask, (height, width)).to(feats.dtype)
    top, bottom = grid_padding(height, grid_size)
    left, right = grid_padding(width, grid_size)
    mask = F.pad(mask, (left, right, top, bottom))
    feats = F.pad(feats, (left, right, top, bottom))
    cell_h = (height + top + bottom) // grid_size
    cell_w = (width + left + right) // grid_size
    cells = (grid_size, cell_h, grid_size, cell_w)
    count = mask.reshape(batch, *cells).sum(dim=(2, 4))  # (B, N, N)
    total = (feats * mask[:, None]).reshape(batch, channels,
                                            *cells).sum(dim=(3, 5))
    queries = total / (count[:, None] + eps)  # (B, K, N, N)
    queries = queries.flatten(2).transpose(1, 2)  # (B, N², K)
    return queries, count.flatten(1) > 0


# --------------------------------------------------------------------------
# (b) RoI sampling, background attention and bin pooling


def normalize_boxes(boxes: Tensor, img_size: Sequence[int]) -> Tensor:
    """Pixel boxes -> BANA's normalised coordinates (§3.1 step 7).

    ``x_n = x / ((W - 1) / 2) - 1`` and ``y_n = y / ((H - 1) / 2) - 1``
    (align-corners convention: pixel 0 -> -1, pixel W-1 -> +1), computed
    in float32 as the official loader does.

    Args:
        boxes (Tensor): (n, 4) x0, y0, x1, y1 in input pixels.
        img_size (tuple[int, int]): (H, W) of the network input.

    Returns:
        Tensor: (n, 4) float32.
    """
    height, width = img_size
    boxes = boxes.float()
    half_w = torch.tensor((width - 1) / 2, dtype=torch.float32)
    half_h = torch.tensor((height - 1) / 2, dtype=torch.float32)
    out = torch.empty_like(boxes)
    out[:, 0::2] = boxes[:, 0::2] / half_w.to(boxes.device) - 1
    out[:, 1::2] = boxes[:, 1::2] / half_h.to(boxes.device) - 1
    return out


def _sample_count(low: float, high: float, length: int) -> int:
    """ceil(high_f) - floor(low_f) on the feature axis (at least 1)."""
    scale = torch.tensor((length - 1) / 2, dtype=torch.float32)
    one = torch.tensor(1.0, dtype=torch.float32)
    coords = (torch.tensor([low, high], dtype=torch.float32) + one) * scale
    # float32 like the official code (§3.4); >= 1 guards zero-width boxes
    # (§8.8)
    return max(1, math.ceil(coords[1].item()) - math.floor(coords[0].item()))


def roi_sample(feat: Tensor,
               box: Sequence[float],
               align_corners: bool = False) -> Tensor:
    """Resample one normalised box of a feature map (§3.4).

    The box is mapped to feature coordinates with the align-corners rule
    ``x_f = (x_n + 1)(fW - 1) / 2``; the RoI has ``ceil(x1_f) -
    floor(x0_f)`` columns (at least 1, §8.8) and ``ceil(y1_f) -
    floor(y0_f)`` rows, at positions linearly spaced from x0_n to x1_n and
    y0_n to y1_n (endpoints included), bilinearly sampled with zero
    padding and, like the official code, ``align_corners=False``.

    Args:
        feat (Tensor): (K, h, w) features of one image.
        box (sequence[float]): normalised (x0, y0, x1, y1), e.g. from
            :func:`normalize_boxes`.
        align_corners (bool): ``grid_sample``'s convention. Default: False
            (official); True makes the sampling agree with the
            align-corners box normalisation (§8.2).

    Returns:
        Tensor: the RoI r (K, BH, BW).
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    height, width = feat.shape[-2:]
    cols = _sample_count(x0, x1, width)
    rows = _sample_count(y0, y1, height)
    xs = torch.linspace(x0, x1, cols, dtype=torch.float32)
    ys = torch.linspace(y0, y1, rows, dtype=torch.float32)
    grid = torch.stack(
        (xs[None, :].expand(rows, cols), ys[:, None].expand(rows, cols)),
        dim=-1).to(device=feat.device, dtype=feat.dtype)
    return F.grid_sample(
        feat[None],
        grid[None],
        mode='bilinear',
        padding_mode='zeros',
        align_corners=align_corners)[0]


def background_attention(feats: Tensor,
                         queries: Optional[Tensor],
                         eps: float = 1e-12) -> Tensor:
    """A(u) = 1/J Σ_j ReLU(cos(f(u), q_j)) (§3.5).

    Cosines use ``F.normalize`` (norms clamped at ``eps``). With no query
    (J = 0, e.g. the boxes cover the image) the attention is 0 everywhere,
    which turns BAP into GAP instead of a NaN mean (§3.6, §8.8).

    Args:
        feats (Tensor): (K, ...) features, e.g. a RoI (K, BH, BW) or a
            whole map (K, h, w).
        queries (Tensor, optional): valid queries (J, K).
        eps (float): normalisation eps. Default: 1e-12.

    Returns:
        Tensor: A with the spatial shape of ``feats`` (no channel axis).
    """
    if queries is None or queries.shape[0] == 0:
        return feats.new_zeros(feats.shape[1:])
    feats_n = F.normalize(feats, dim=0, eps=eps)
    queries_n = F.normalize(queries, dim=1, eps=eps)
    cos = torch.tensordot(queries_n, feats_n, dims=([1], [0]))
    return cos.relu().mean(dim=0)


def bin_windows(length: int, bins: int, device=None,
                dtype=torch.float32) -> Tensor:
    """0/1 matrix (bins, length): which positions each output bin pools.

    Spec §3.5: with ``length >= bins`` the stride is ``s = length // bins``
    and the window ``k = length - (bins - 1)·s``; bin i covers
    ``[i·s, i·s + k)`` (for 2 bins: [0, k) and [s, s + k), overlapping by
    one when the length is odd). A shorter axis is replicated: bin i uses
    position ``min(i, length - 1)`` (length 1: every bin uses it).
    """
    out = torch.zeros(bins, length, device=device, dtype=dtype)
    if length >= bins:
        stride = length // bins
        window = length - (bins - 1) * stride
        for i in range(bins):
            out[i, i * stride:i * stride + window] = 1
    else:
        for i in range(bins):
            out[i, min(i, length - 1)] = 1
    return out


def bin_pool(roi: Tensor,
             weight: Tensor,
             roi_size: _Size = 2,
             eps: float = 1e-12) -> Tensor:
    """Weighted average of a RoI in R_h × R_w bins (§3.5).

    Each bin is ``Σ w·r / (Σ w + eps)`` over its window
    (:func:`bin_windows`).

    Args:
        roi (Tensor): (K, BH, BW).
        weight (Tensor): (BH, BW) pooling weights, 1 - A for BAP, ones for
            GAP.
        roi_size (int | tuple[int, int]): bins per axis. Default: 2.
        eps (float): added to the weight sum. Default: 1e-12.

    Returns:
        Tensor: (R_h·R_w, K), bins in row-major order.
    """
    bins_h, bins_w = _pair(roi_size)
    rows = bin_windows(roi.shape[1], bins_h, roi.device, roi.dtype)
    cols = bin_windows(roi.shape[2], bins_w, roi.device, roi.dtype)
    num = torch.einsum('ih,jw,khw->ijk', rows, cols, roi * weight)
    den = torch.einsum('ih,jw,hw->ij', rows, cols, weight)
    return (num / (den[..., None] + eps)).flatten(0, 1)


def bap_pool_boxes(feat: Tensor,
                   boxes: Tensor,
                   queries: Optional[Tensor] = None,
                   roi_size: _Size = 2,
                   align_corners: bool = False,
                   eps: float = 1e-12) -> Tuple[Tensor, List[Tensor]]:
    """BAP features of the boxes of one image (§3.4-§3.6).

    For every box: :func:`roi_sample`, the attention A over the valid
    ``queries`` (:func:`background_attention`), then :func:`bin_pool` with
    weights w = 1 - A. ``queries=None`` (or empty) is the GAP fallback,
    w ≡ 1 (A = 0).

    Args:
        feat (Tensor): (K, h, w).
        boxes (Tensor): (n, 4) normalised boxes (:func:`normalize_boxes`).
        queries (Tensor, optional): (J, K) valid background queries of the
            image.
        roi_size (int | tuple[int, int]): bins per axis. Default: 2 (the
            official ROI_SIZE, §8.1); 1 is the paper's one feature per box.
        align_corners (bool): see :func:`roi_sample`. Default: False.
        eps (float): normalisation / pooling eps. Default: 1e-12.

    Returns:
        tuple: pooled features (n, R_h·R_w, K) (box-major, bins row-major)
        and the attention maps A (BH_i, BW_i) of the boxes.
    """
    bins = _pair(roi_size)
    pooled, attention = [], []
    for box in boxes.detach().cpu().tolist():
        roi = roi_sample(feat, box, align_corners)
        att = background_attention(roi, queries, eps)
        pooled.append(bin_pool(roi, 1 - att, bins, eps))
        attention.append(att)
    if not pooled:
        return feat.new_zeros(0, bins[0] * bins[1], feat.shape[0]), []
    return torch.stack(pooled), attention


# --------------------------------------------------------------------------
# (c) the sample set


def bap_sample_set(box_feats: Tensor,
                   box_classes: Tensor,
                   queries: Tensor,
                   weight: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """Logits, targets and CE of the stage-1 samples (§3.7).

    The samples are every foreground bin feature (target: its box's class,
    1..L) followed by every valid background query (target 0); the logits
    are the bias-free dot products ``w_c · x`` (§8.11) and the loss is the
    mean softmax cross-entropy over all samples (a background cell counts
    like a foreground bin). An empty sample set gives a zero loss that is
    still connected to ``weight``.

    Args:
        box_feats (Tensor): (n, R, K) pooled box features, or (n·R, K).
        box_classes (Tensor): (n,) class ids in 1..L (0 is background).
        queries (Tensor): (J, K) valid background queries of the batch.
        weight (Tensor): classifier weights (L + 1, K) (or the 1×1 conv
            weight (L + 1, K, 1, 1)), background first.

    Returns:
        tuple[Tensor, Tensor, Tensor]: logits (S, L + 1), targets (S,)
        int64 and the scalar CE, S = n·R + J.
    """
    weight = weight.reshape(weight.shape[0], -1)
    box_classes = box_classes.reshape(-1).long().to(weight.device)
    bins = box_feats.shape[1] if box_feats.dim() == 3 else 1
    fg = box_feats.reshape(-1, weight.shape[1])
    samples = torch.cat([fg, queries.reshape(-1, weight.shape[1])])
    targets = torch.cat([
        box_classes.repeat_interleave(bins),
        box_classes.new_zeros(queries.shape[0])
    ])
    logits = samples @ weight.t()
    if logits.shape[0] == 0:
        return logits, targets, weight.sum() * 0
    return logits, targets, F.cross_entropy(logits, targets)


# --------------------------------------------------------------------------


@MODELS.register_module()
class BAPHead(BaseCAMHead):
    """Background-aware pooling + (L+1)-way bias-free classifier (BANA).

    Training (:meth:`forward_train`) takes the features, the boxes of each
    image in input pixels, their 0-based foreground labels and the
    definite-background mask at input resolution, and builds BANA's
    stage-1 sample set (spec §3.3-§3.7):

    - background queries of an N×N grid (:func:`grid_bg_queries`);
    - per box, a resampled RoI weighted by 1 - A, A the mean ReLU cosine
      to the image's valid queries, pooled in R×R bins
      (:func:`bap_pool_boxes`);
    - GAP (w ≡ 1) for the boxes of an image whose crop is at most
      ``valid_bg_ratio`` definite background or that has no valid cell
      (§3.6, §8.12), and for every box when ``use_bap=False`` (the paper's
      GAP baseline);
    - logits ``w_c · x`` over L + 1 classes, background at index 0, and
      the mean CE over bins (target: box class) and valid queries
      (target 0) (:func:`bap_sample_set`, §3.7).

    Inference follows the CAM-head contract: :meth:`class_maps` gives the
    foreground maps ``w_c · f`` (c = 1..L, the stage-2 CAMs before ReLU,
    §4.3, §8.11); :meth:`score_maps` adds the background map.

    Args:
        num_classes (int): foreground classes L (the classifier has L + 1
            outputs).
        in_channels (int): feature channels K.
        in_index (int): which backbone/neck output to use. Default: -1.
        grid_size (int): N of the background grid. Default: 4 (§3.3).
        roi_size (int | tuple[int, int]): pooled bins per box axis.
            Default: 2 (official, §8.1); 1 = the paper's one feature per
            box.
        valid_bg_ratio (float): an image uses BAP only if more than this
            fraction of its (input-size) mask is background. Default: 0.125
            (§3.1, §8.12).
        use_bap (bool): False gives the GAP baseline (w ≡ 1). Default: True.
        fallback_queries (bool): also use the valid queries of images that
            fall back to GAP as background samples. Default: True (spec
            §3.7: "all valid background queries of all images").
        sample_align_corners (bool): ``grid_sample`` convention of the RoI
            sampling. Default: False (official; the boxes are normalised
            with the align-corners rule, §8.2); True is the consistent
            "fixed" variant.
        eps (float): eps of the normalisations and weighted means.
            Default: 1e-12.
        loss_cls (dict): CE loss on (logits, targets). Default: mmseg's
            ``CrossEntropyLoss`` named ``loss_bap`` (mean over samples).
        init_cfg (dict, optional): Default: N(0, 0.01) on the classifier
            (§3.2).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 in_index: int = -1,
                 grid_size: int = 4,
                 roi_size: _Size = 2,
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
        if min(_pair(roi_size)) < 1:
            raise ValueError(f'roi_size must be >= 1, got {roi_size}')
        if not 0 <= valid_bg_ratio < 1:
            raise ValueError(
                f'valid_bg_ratio must be in [0, 1), got {valid_bg_ratio}')
        self.grid_size = grid_size
        self.roi_size = _pair(roi_size)
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
        """Mean CE over the sample set of :meth:`forward_train` (§3.7).

        ``targets`` (image labels) are not used; the sample targets come
        from the boxes. An empty sample set gives a zero loss (no NaN).
        """
        logits = outputs['sample_logits']
        if logits.shape[0] == 0:
            loss = self.weight.sum() * 0 + outputs['feats'].sum() * 0
        else:
            loss = self.loss_cls(logits, outputs['sample_targets'])
        return {self.loss_cls.loss_name: loss}
