"""Feature similarity loss (FSL) as a registered plug-in CAM loss.

Jonnarth, Zhang, Felsberg, "High-fidelity Pseudo-labels for Boosting
Weakly-Supervised Segmentation", WACV 2024 (official code arvijj/hfpl). The
exact blockwise kernel is :mod:`.fsl_kernel`; the SEAM adaptors that build
its inputs are :mod:`.fsl_adaptors`.
"""
import math
from typing import Optional, Tuple

import torch.nn as nn
from torch import Tensor

from mmwsss.registry import MODELS
from .fsl_adaptors import fsl_guidance_image, fsl_prediction_map
from .fsl_kernel import (
    check_block_size,
    check_fsl_options,
    feature_similarity_loss,
)


@MODELS.register_module()
class FeatureSimilarityLoss(nn.Module):
    """Feature similarity loss (FSL) as a plug-in CAM loss.

    Builds SEAM's prediction map from the host's foreground CAMs
    (:func:`fsl_prediction_map`: max-norm, times labels, background
    ``1 - max``) and the guidance image from the augmented network input
    (:func:`fsl_guidance_image`: bilinear, ``align_corners=True``, to the
    CAM size), then returns ``loss_weight`` times the exact FSL
    (:func:`feature_similarity_loss`): similar-coloured nearby pixels are
    pulled to similar predictions, dissimilar ones pushed apart.

    Host inputs (``inputs``): ``cams`` (B, K, h, w) raw signed foreground
    scores at head resolution (in the graph); ``labels`` (B, K);
    ``rgb_images`` (B, 3, H, W) the augmented input as RGB in [0, 1].

    Args:
        loss_weight (float): multiplier. Default: 1.0 (VOC; COCO uses 0.2).
        mu (float): dissimilarity offset μ. Default: 2.5.
        sigma (float, optional): Gaussian σ in CAM pixels; None for the
            constant weight 1/(h·w). Default: 5.0.
        window (float, optional): truncation radius (deviation from the
            official untruncated loss, see :func:`feature_similarity_loss`).
            Default: None (exact).
        window_shape (str): ``'square'`` or ``'circle'``. Default:
            ``'square'``.
        block_size (int, optional): pixels per tile side of the blockwise
            computation (N·block² elements per temporary). Default: None
            (automatic, see :func:`feature_similarity_loss`).
        loss_name (str): key in the loss dict; starts with ``loss_``.
            Default: ``'loss_fsl'``.
    """

    inputs: Tuple[str, ...] = ('cams', 'labels', 'rgb_images')

    def __init__(self,
                 loss_weight: float = 1.0,
                 mu: float = 2.5,
                 sigma: Optional[float] = 5.0,
                 window: Optional[float] = None,
                 window_shape: str = 'square',
                 block_size: Optional[int] = None,
                 loss_name: str = 'loss_fsl') -> None:
        super().__init__()
        if not math.isfinite(mu):
            raise ValueError(f'mu must be finite, got {mu}')
        check_fsl_options(sigma, window, window_shape)
        check_block_size(block_size)
        if not loss_name.startswith('loss_'):
            raise ValueError(f'loss_name must start with "loss_", got '
                             f'"{loss_name}"')
        self.loss_weight = loss_weight
        self.mu = mu
        self.sigma = sigma
        self.window = window
        self.window_shape = window_shape
        self.block_size = block_size
        self._loss_name = loss_name

    def forward(self, cams: Tensor, labels: Tensor,
                rgb_images: Tensor) -> Tensor:
        """Args: cams (B, K, h, w); labels (B, K); rgb_images (B, 3, H, W).

        Returns:
            Tensor: scalar loss, already multiplied by ``loss_weight``.
        """
        pred = fsl_prediction_map(cams, labels)
        guide = fsl_guidance_image(rgb_images, cams.shape[-2:])
        loss = feature_similarity_loss(
            pred,
            guide,
            mu=self.mu,
            sigma=self.sigma,
            window=self.window,
            window_shape=self.window_shape,
            block_size=self.block_size)
        return self.loss_weight * loss

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def extra_repr(self) -> str:
        return (f'mu={self.mu}, sigma={self.sigma}, window={self.window}, '
                f'loss_weight={self.loss_weight}')
