"""PSA / AEFT / hfpl random walk from CAMs and given affinities to a label
map (the network that predicts the affinities is a separate piece).

AffinityNet / PSA: Ahn and Kwak, "Learning Pixel-level Semantic Affinity
with Image-level Supervision for Weakly Supervised Semantic Segmentation",
CVPR 2018, arXiv:1803.10464, https://github.com/jiwoon-ahn/psa
(``infer_aff.py``); the same walk with logt 6 and AEFT's radius rule in
AEFT (ECCV 2022, https://github.com/KAIST-vilab/AEFT) and hfpl (WACV 2024,
arXiv:2304.02621, https://github.com/arvijj/hfpl).

With H x W the image and Hp = 8 ceil(H / 8), Wp = 8 ceil(W / 8):

    S_0 = (1 - max_c CAM_c)^alpha,  S_{c+1} = CAM_c (present classes),
    x   = avgpool_8(zero-pad(S, Hp x Wp))             (C+1) x N, N = Hp Wp / 64
    r   = x T^(2^logt)                                 (sparse steps)
    R   = bilinear(r, Hp x Wp, align_corners=False)
    label = argmax_c R[:, :H, :W]   (0 background, c + 1 class c)

Absent classes have all-zero scores and stay zero, so only the background
and the present classes are walked (the result is the same).
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

from mmwsss.ops.pair_geometry import pair_endpoints
from mmwsss.ops.pair_sets import pair_indices
from mmwsss.ops.random_walk import random_walk


def psa_walk(cams: np.ndarray,
             keys: np.ndarray,
             affinity: np.ndarray,
             radius: int,
             alpha: float,
             beta: float = 8.0,
             logt: int = 6,
             stride: int = 8,
             dtype: torch.dtype = torch.float64,
             pair_set: str = 'psa') -> dict:
    """The walk on one image, with its intermediates.

    Args:
        cams (np.ndarray): (K, H, W) CAMs in [0, 1] of the present classes.
        keys (np.ndarray): (K,) their class indices (0-based, no bg).
        affinity (np.ndarray | Tensor): (|D_r|, n_src) affinities of the
            PSA pairs on the (Hp / stride) x (Wp / stride) grid
            (direction-major). The walk runs on a tensor's device (the
            scores are copied there), on the CPU for an array.
        radius (int): r of the pairs (psa 5; AEFT / hfpl
            :func:`mmwsss.ops.aeft_radius` of the grid).
        alpha (float): background power (psa 16 / 24 / 32, AEFT 19).
        beta (float): W = A^beta. Default: 8.
        logt (int): 2^logt steps (psa 8, AEFT / hfpl 6). Default: 6.
        stride (int): output stride of the affinity grid. Default: 8.
        dtype (torch.dtype): walk dtype. Default: float64.
        pair_set (str): 'psa' (the official pairs, no sources at the
            left / right / bottom borders) or 'full' (every in-grid pair;
            ``affinity`` then has one entry per cell and direction, those
            of pairs leaving the grid ignored). Default: 'psa'.

    Returns:
        dict: ``scores`` (1+K, H, W), ``pooled`` (1+K, h, w), ``walked``
        (1+K, h, w), ``upsampled`` (1+K, Hp, Wp), ``label`` uint8 (H, W).
    """
    cams = np.asarray(cams, np.float32)
    keys = np.asarray(keys, np.int64).reshape(-1)
    num, height, width = cams.shape
    if num != keys.size:
        raise ValueError(f'{num} CAMs but {keys.size} keys')
    pad_h = stride * math.ceil(height / stride)
    pad_w = stride * math.ceil(width / stride)
    grid = (pad_h // stride, pad_w // stride)
    bg = np.power(1 - (cams.max(0) if num else np.zeros(
        (height, width), np.float32)), alpha, dtype=np.float32)
    device = affinity.device if isinstance(affinity, torch.Tensor) else None
    scores = torch.from_numpy(np.concatenate([bg[None], cams])).to(device)
    padded = F.pad(scores, (0, pad_w - width, 0, pad_h - height))
    pooled = F.avg_pool2d(padded[None], stride)[0]
    ind_from, ind_to, valid = pair_indices(radius, grid, pair_set)
    pair_i, pair_j = pair_endpoints(ind_from, ind_to)
    affinity = torch.as_tensor(affinity).reshape(-1)
    if affinity.numel() != pair_i.size:
        raise ValueError(
            f'{affinity.numel()} affinities for the {pair_i.size} pairs of '
            f'radius {radius} on a {grid[0]}x{grid[1]} grid')
    if valid is not None:
        pair_i, pair_j = pair_i[valid], pair_j[valid]
        affinity = affinity[torch.from_numpy(valid).to(affinity.device)]
    walked = random_walk(
        pooled.reshape(num + 1, -1), pair_i, pair_j, affinity, beta, logt,
        dtype).reshape(num + 1, *grid)
    upsampled = F.interpolate(
        walked[None], size=(pad_h, pad_w), mode='bilinear',
        align_corners=False)[0]
    index = upsampled[:, :height, :width].argmax(0).cpu().numpy()
    lut = np.concatenate([[0], keys + 1]).astype(np.uint8)
    return dict(
        scores=scores,
        pooled=pooled,
        walked=walked,
        upsampled=upsampled,
        label=lut[index])

