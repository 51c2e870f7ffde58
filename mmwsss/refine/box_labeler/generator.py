"""BANA's box pseudo labels Y_crf and Y_ret of one image.

Oh, Kim, Ham, "Background-Aware Pooling and Noise-Aware Loss for
Weakly-Supervised Semantic Segmentation", CVPR 2021, arXiv:2104.00905;
official code https://github.com/cvlab-yonsei/BANA.
"""
import time
from typing import Optional

import numpy as np
import torch
from torch import Tensor

from mmwsss.ops import dense_crf
from mmwsss.registry import TASK_UTILS
from mmwsss.utils import InvalidInputError
from .functional import (
    background_unary,
    box_pixel_coords,
    box_unary_probs,
    class_box_masks,
    crf_box_labels,
    foreground_unaries,
    retrieval_labels,
)
from .upsampled_features import UpsampledFeatures

#: stage-2 DenseCRF of the official config (w_bi, θ_α, θ_β, w_g, θ_γ) =
#: (4, 55, 3, 3, 3), 10 iterations, Gaussian kernel added first
BANA_STAGE2_CRF = dict(
    n_iter=10,
    bilateral_compat=4,
    bilateral_sxy=55,
    bilateral_srgb=3,
    gaussian_compat=3,
    gaussian_sxy=3)


@TASK_UTILS.register_module()
class BoxPseudoLabelGenerator:
    """Y_crf and Y_ret from the stage-1 features, boxes and image.

    1. u_0 from the background attention of an N-cell grid (N = 1), kept
       only where A ≥ ``bg_threshold`` · max A (:func:`background_unary`);
    2. u_c = CAM_c normalised by its maximum inside each box
       (:func:`foreground_unaries`);
    3. softmax over [u_0, u_c…] inside the boxes, DenseCRF on the raw RGB
       image, foreground channels masked to their boxes, argmax → Y_crf;
    4. class prototypes from Y_crf, ReLU cosine, box masking, argmax →
       Y_ret.

    Args:
        bg_threshold (float): relative u_0 threshold. Default: 0.99
            (official); 0 gives the paper's u_0 = A.
        grid_size (int): N of the background queries. Default: 1.
        use_bg_unary (bool): False sets u_0 = 0 inside the boxes (the
            "Y_crf without u_0" ablation). Default: True.
        float32_round_trip (bool): official integer box edges.
            Default: True.
        crf (dict): :func:`~mmwsss.ops.dense_crf` arguments.
            Default: :data:`BANA_STAGE2_CRF`.
        eps (float): eps of normalisations. Default: 1e-12.
    """

    def __init__(self,
                 bg_threshold: float = 0.99,
                 grid_size: int = 1,
                 use_bg_unary: bool = True,
                 float32_round_trip: bool = True,
                 crf: Optional[dict] = None,
                 eps: float = 1e-12) -> None:
        if not 0 <= bg_threshold <= 1:
            raise ValueError(
                f'bg_threshold must be in [0, 1], got {bg_threshold}')
        if grid_size < 1:
            raise ValueError(f'grid_size must be >= 1, got {grid_size}')
        self.bg_threshold = bg_threshold
        self.grid_size = grid_size
        self.use_bg_unary = use_bg_unary
        self.float32_round_trip = float32_round_trip
        self.crf = dict(BANA_STAGE2_CRF, **(crf or {}))
        self.eps = eps

    def __call__(self,
                 image: np.ndarray,
                 feats: Tensor,
                 weight: Tensor,
                 boxes: np.ndarray,
                 labels: np.ndarray,
                 bg_mask: np.ndarray,
                 name: str = 'the image') -> dict:
        """Pseudo labels of one image.

        Args:
            image (np.ndarray): (H, W, 3) uint8 RGB, unnormalised.
            feats (Tensor): stage-1 features f (K, h, w).
            weight (Tensor): stage-1 classifier (L + 1, K), background
                first.
            boxes (np.ndarray): (n, 4) x0, y0, x1, y1 in image pixels.
            labels (np.ndarray): (n,) 0-based foreground classes.
            bg_mask (np.ndarray): (H, W), 1 = definite background.
            name (str): the image, for error messages.

        Returns:
            dict: ``y_crf`` and ``y_ret`` uint8 (H, W); ``seconds``: time
            of the ``unaries``, ``crf`` and ``retrieval`` steps.
        """
        shape = image.shape[:2]
        labels = np.asarray(labels, np.int64).reshape(-1)
        if labels.size == 0:
            raise InvalidInputError(
                f'{name} has no boxes: BANA needs at least one box per '
                'image. Fix its annotation or drop the image from the split '
                '(VOCBoxDataset(drop_empty=True)).')
        if bg_mask.shape != shape:
            raise InvalidInputError(
                f'{name}: background mask {bg_mask.shape} does not match the '
                f'image {shape}.')
        start = time.perf_counter()
        with torch.no_grad():
            up = UpsampledFeatures(feats.float(), shape)
            coords = box_pixel_coords(boxes, shape, self.float32_round_trip)
            background = torch.as_tensor(np.asarray(bg_mask) > 0)
            inside = ~background
            if self.use_bg_unary:
                u0 = background_unary(up, background, self.grid_size,
                                      self.bg_threshold, self.eps)
            else:
                u0 = background.float()
            classes, u_fg = foreground_unaries(up, weight.float(), coords,
                                               labels, self.eps)
            probs = box_unary_probs(u0, u_fg, inside)
            masks = class_box_masks(coords, labels, classes, shape)
            unary_s = time.perf_counter() - start
            start = time.perf_counter()
            q = dense_crf(image, probs.numpy(), **self.crf)
            crf_s = time.perf_counter() - start
            start = time.perf_counter()
            y_crf = crf_box_labels(q, masks, classes)
            y_ret = retrieval_labels(up, y_crf, weight.float(), classes,
                                     masks, inside, self.eps)
            ret_s = time.perf_counter() - start
        return dict(
            y_crf=y_crf,
            y_ret=y_ret,
            seconds=dict(unaries=unary_s, crf=crf_s, retrieval=ret_s))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(bg_threshold={self.bg_threshold}'
                f', grid_size={self.grid_size}, use_bg_unary='
                f'{self.use_bg_unary}, float32_round_trip='
                f'{self.float32_round_trip}, crf={self.crf})')
