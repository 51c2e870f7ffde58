"""BANA stage 2 as plain functions.

Oh, Kim, Ham, "Background-Aware Pooling and Noise-Aware Loss for
Weakly-Supervised Semantic Segmentation", CVPR 2021, arXiv:2104.00905;
official code https://github.com/cvlab-yonsei/BANA.

Everything works at image resolution on the stage-1 features f, upsampled
with ``align_corners=True`` through :class:`UpsampledFeatures` (exact, never
materialised). Labels: 0 = background, c + 1 = 0-based foreground class c;
classifier rows ``weight[0]`` = background, ``weight[c + 1]`` = class c.

- :func:`box_pixel_coords`: integer box edges (float32 round trip);
- :func:`class_box_masks`, :func:`box_fill_labels`: box regions, and the
  "boxes filled with their class" baseline;
- :func:`background_unary`: u_0;
- :func:`foreground_unaries`: u_c;
- :func:`box_unary_probs`: the stack with the inside-box softmax;
- :func:`crf_box_labels`: box masking and argmax of the CRF output → Y_crf;
- :func:`retrieval_labels`: Y_ret from class prototypes.
"""
from typing import Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from mmwsss.ops import grid_padding, normalize_boxes
from .upsampled_features import UpsampledFeatures


def box_pixel_coords(boxes: np.ndarray,
                     img_size: Sequence[int],
                     float32_round_trip: bool = True) -> np.ndarray:
    """Integer box edges (n, 4) x0, y0, x1, y1 of the boxes' pixels: rows
    y0..y1 − 1 and columns x0..x1 − 1 (exclusive upper bound, as the
    official code).

    With ``float32_round_trip`` (official) the XML values go through the
    loader's float32 normalisation ``x / ((W − 1)/2) − 1`` and back
    ``x_n·(W − 1)/2 + (W − 1)/2`` before truncation toward zero, which
    turns a few integer coordinates into value − 1; otherwise
    ``int(value)``. Edges are clipped to the image.

    Args:
        boxes (np.ndarray): (n, 4) box coordinates in image pixels.
        img_size (tuple[int, int]): (H, W).
        float32_round_trip (bool): emulate the official round trip.
            Default: True.
    """
    height, width = int(img_size[0]), int(img_size[1])
    boxes_t = torch.as_tensor(np.asarray(boxes, np.float32).reshape(-1, 4))
    if float32_round_trip:
        norm = normalize_boxes(boxes_t, (height, width))
        half = torch.tensor([(width - 1) / 2, (height - 1) / 2] * 2,
                            dtype=torch.float32)
        boxes_t = norm * half + half
    coords = torch.trunc(boxes_t).long().numpy()
    coords[:, 0::2] = coords[:, 0::2].clip(0, width)
    coords[:, 1::2] = coords[:, 1::2].clip(0, height)
    return coords


def class_box_masks(coords: np.ndarray, labels: np.ndarray,
                    classes: Sequence[int], shape: Sequence[int]) -> Tensor:
    """Boolean (m, H, W): pixel in a box of ``classes[k]``."""
    masks = torch.zeros(len(classes), int(shape[0]), int(shape[1]),
                        dtype=torch.bool)
    index = {int(c): k for k, c in enumerate(classes)}
    for (x0, y0, x1, y1), label in zip(coords, labels):
        masks[index[int(label)], y0:y1, x0:x1] = True
    return masks


def box_fill_labels(coords: np.ndarray, labels: np.ndarray,
                    shape: Sequence[int]) -> np.ndarray:
    """The box-fill baseline: each box filled with its class, larger
    boxes first so a smaller box stays visible on top; background
    elsewhere. uint8 (H, W)."""
    out = np.zeros(tuple(int(s) for s in shape[:2]), np.uint8)
    areas = [(x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in coords]
    for i in sorted(range(len(coords)), key=lambda k: -areas[k]):
        x0, y0, x1, y1 = coords[i]
        out[y0:y1, x0:x1] = int(labels[i]) + 1
    return out


def _grid_cells(size: Tuple[int, int], grid_size: int):
    """Row and column ranges (image pixels) of the N×N background grid
    with its padding rule (:func:`~mmwsss.ops.grid_padding`), clipped to
    the image."""
    spans = []
    for length in size:
        before, after = grid_padding(length, grid_size)
        cell = (length + before + after) // grid_size
        spans.append([(max(0, i * cell - before),
                       min(length, (i + 1) * cell - before))
                      for i in range(grid_size)])
    return [(r, c) for r in spans[0] for c in spans[1]]


def background_unary(up: UpsampledFeatures,
                     bg_mask: Tensor,
                     grid_size: int = 1,
                     bg_threshold: float = 0.99,
                     eps: float = 1e-12) -> Tensor:
    """The background unary u_0 (H, W).

    q_j = mean of up(f) over the definite-background pixels of grid cell j
    (N = ``grid_size``; N = 1: the whole image); A(p) = mean over valid
    cells of ReLU(cos(up(f)(p), q_j)); A := 0 where A < ``bg_threshold`` ·
    max A (official 0.99; 0 keeps the paper's u_0 = A); u_0 = 1 outside
    the boxes, A inside. Without any background pixel (boxes cover the
    image) u_0 = 0 inside the boxes instead of the official NaN.

    Args:
        up (UpsampledFeatures): the image's features.
        bg_mask (Tensor): (H, W), nonzero = definite background.
        grid_size (int): N. Default: 1 (stage 2).
        bg_threshold (float): relative threshold. Default: 0.99.
        eps (float): normalisation eps. Default: 1e-12.
    """
    background = bg_mask > 0
    queries = []
    for (r0, r1), (c0, c1) in _grid_cells(up.size, grid_size):
        cell = torch.zeros_like(background)
        cell[r0:r1, c0:c1] = background[r0:r1, c0:c1]
        count = cell.sum()
        if count > 0:
            queries.append(up.masked_sum(cell) / (count + eps))
    if queries:
        attention = up.cosine(torch.stack(queries), eps).relu().mean(0)
        if bg_threshold > 0:
            keep = attention >= bg_threshold * attention.max()
            attention = attention * keep
    else:
        attention = torch.zeros(up.size, dtype=up.feats.dtype)
    return torch.where(background, torch.ones_like(attention), attention)


def foreground_unaries(up: UpsampledFeatures,
                       weight: Tensor,
                       coords: np.ndarray,
                       labels: np.ndarray,
                       eps: float = 1e-12) -> Tuple[np.ndarray, Tensor]:
    """The foreground unaries u_c for the classes present in the boxes.

    CAM_c = ReLU(w_c · up(f)) (dot product, no cosine); inside each box of
    class c, u_c = CAM_c / (max of CAM_c in that box + eps), boxes in
    annotation order so a later box overwrites an overlap of the same
    class; 0 elsewhere.

    Args:
        up (UpsampledFeatures): the image's features.
        weight (Tensor): classifier (L + 1, K), background first.
        coords (np.ndarray): integer boxes (n, 4) (:func:`box_pixel_coords`).
        labels (np.ndarray): 0-based classes (n,).
        eps (float): Default: 1e-12.

    Returns:
        tuple: classes (m,) ascending and u (m, H, W).
    """
    classes = np.unique(np.asarray(labels, np.int64))
    cams = up.linear(weight[torch.as_tensor(classes) + 1]).relu()
    unaries = torch.zeros_like(cams)
    index = {int(c): k for k, c in enumerate(classes)}
    for (x0, y0, x1, y1), label in zip(coords, labels):
        k = index[int(label)]
        region = cams[k, y0:y1, x0:x1]
        if region.numel():
            unaries[k, y0:y1, x0:x1] = region / (region.max() + eps)
    return classes, unaries


def box_unary_probs(u0: Tensor, u_fg: Tensor, inside: Tensor) -> Tensor:
    """U = [u_0; u_c1; …] (m + 1, H, W) with a softmax over the stack at
    pixels inside any box and U unchanged, (1, 0, …, 0), outside."""
    stack = torch.cat((u0[None], u_fg))
    return torch.where(inside[None], stack.softmax(dim=0), stack)


def crf_box_labels(probs: np.ndarray, class_masks: Tensor,
                   classes: Sequence[int]) -> np.ndarray:
    """Y_crf: zero each foreground channel of the CRF output outside
    the boxes of its class, take the argmax and map channel k + 1 to label
    ``classes[k] + 1``. uint8 (H, W), no 255."""
    probs = torch.as_tensor(probs).clone()
    probs[1:] *= class_masks.to(probs.dtype)
    lut = torch.as_tensor([0] + [int(c) + 1 for c in classes])
    return lut[probs.argmax(dim=0)].numpy().astype(np.uint8)


def retrieval_labels(up: UpsampledFeatures,
                     y_crf: np.ndarray,
                     weight: Tensor,
                     classes: Sequence[int],
                     class_masks: Tensor,
                     inside: Tensor,
                     eps: float = 1e-12) -> np.ndarray:
    """Y_ret, the retrieval labels.

    For label l in [0] + present classes, the prototype q_l is the mean of
    up(f) over the Y_crf pixels of l, or the classifier weight w_l when
    Y_crf has none; C_l = ReLU(cos(up(f), q_l)); C_0 := 1 outside the boxes,
    C_l := 0 outside the boxes of l; Y_ret = argmax (ties → background).
    """
    ids = [0] + [int(c) + 1 for c in classes]
    y_crf = torch.as_tensor(y_crf.astype(np.int64))
    protos = []
    for label in ids:
        pixels = y_crf == label
        protos.append(
            up.masked_mean(pixels) if pixels.any() else weight[label].to(
                up.feats))
    scores = up.cosine(torch.stack(protos), eps).relu()
    scores[0][~inside] = 1
    scores[1:][~class_masks] = 0
    return torch.as_tensor(ids)[scores.argmax(dim=0)].numpy().astype(
        np.uint8)
