"""Pseudo labels by IRN's random walk (IRN; RIB's settings for ACR)."""
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from mmwsss.registry import TASK_UTILS
from ..utils import check_inputs
from .irn_walk import irn_semantic_label
from .network_walk_refiner import NetworkWalkRefiner, walk_torch_dtype


def lowres_cams(cams: np.ndarray, stride: int = 4) -> np.ndarray:
    """Stride-``stride`` CAMs from full-resolution ones: bilinear
    (align_corners=False, no antialiasing) to ((H-1)//s+1, (W-1)//s+1),
    each class divided by its max + 1e-5 (IRN walks stride-4 maps made at
    that resolution; this is the fallback from full-resolution files)."""
    height, width = cams.shape[1:]
    size = ((height - 1) // stride + 1, (width - 1) // stride + 1)
    if cams.shape[0] == 0:
        return np.zeros((0, *size), np.float32)
    small = F.interpolate(
        torch.from_numpy(np.asarray(cams, np.float32))[None],
        size=size, mode='bilinear', align_corners=False)[0]
    small = small / (small.flatten(1).amax(1)[:, None, None] + 1e-5)
    return small.numpy()


@TASK_UTILS.register_module()
class IRNRandomWalkRefiner(NetworkWalkRefiner):
    """Refine CAMs with a trained IRN's class-boundary map (Ahn, Cho and
    Kwak, "Weakly Supervised Learning of Instance Segmentation with
    Inter-pixel Relations", CVPR 2019, arXiv:1904.05044;
    https://github.com/jiwoon-ahn/irn ``step/make_sem_seg_labels.py``;
    RIB's settings, https://github.com/jbeomlee93/RIB, as ACR uses them).

    Per image: the edge map B (stride 4) of the image and its mirror
    (``IRNet.edge_map``); a_ij = 1 - max_{k in path(i, j)} B_k over all
    pairs within ``radius``; x = CAM_lowres^p ⊙ (1 - B) (no background
    channel); r = x T^(2^exp_times), T = W diag(d)^-1, W = A^β (sparse
    steps); U = bilinear ×4 of r cropped to H x W, divided by its global
    max; label = [0, keys + 1][argmax([τ; U])].

    IRN: β 10, exp_times 8, radius 5, p 1, τ 0.25. RIB / ACR: p 1.3,
    τ 0.27 (COCO 0.22).

    Args:
        beta (float): Default: 10.
        exp_times (int): 2^exp_times steps. Default: 8.
        radius (int): pair radius of the walk. Default: 5.
        cam_power (float): p. Default: 1.0.
        bg_threshold (float): τ. Default: 0.25.
        normalize (str): 'global' (official) or 'per_class'.
        walk_dtype (str): 'float64' (default) or 'float32'.
        config, checkpoint, cache_dir, device: see
            :class:`NetworkWalkRefiner`.
    """

    def __init__(self,
                 beta: float = 10.0,
                 exp_times: int = 8,
                 radius: int = 5,
                 cam_power: float = 1.0,
                 bg_threshold: float = 0.25,
                 normalize: str = 'global',
                 walk_dtype: str = 'float64',
                 config: Optional[str] = None,
                 checkpoint: Optional[str] = None,
                 cache_dir: Optional[str] = None,
                 device: str = 'cpu') -> None:
        super().__init__(config, checkpoint, cache_dir, device)
        if normalize not in ('global', 'per_class'):
            raise ValueError("normalize must be 'global' or 'per_class', "
                             f'got {normalize!r}')
        self.beta, self.exp_times, self.radius = beta, exp_times, radius
        self.cam_power, self.bg_threshold = cam_power, bg_threshold
        self.normalize = normalize
        self.walk_dtype = walk_torch_dtype(walk_dtype)

    def edge(self, image: np.ndarray) -> np.ndarray:
        """The class-boundary map (h4, w4) float32 (cached)."""
        return self.cached(
            image, lambda: dict(edge=self.network.edge_map(image)['edge']
                                .float().cpu().numpy()))['edge']

    def __call__(self, image: np.ndarray, cams: np.ndarray,
                 keys: np.ndarray) -> np.ndarray:
        cams, keys = check_inputs(image, cams, keys)
        out = irn_semantic_label(
            torch.from_numpy(self.edge(image)),
            lowres_cams(cams),
            keys,
            image.shape[:2],
            bg_threshold=self.bg_threshold,
            cam_power=self.cam_power,
            beta=self.beta,
            exp_times=self.exp_times,
            radius=self.radius,
            normalize=self.normalize,
            dtype=self.walk_dtype)
        return out['label']

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(beta={self.beta}, exp_times='
                f'{self.exp_times}, radius={self.radius}, cam_power='
                f'{self.cam_power}, bg_threshold={self.bg_threshold}, '
                f'normalize={self.normalize!r})')
