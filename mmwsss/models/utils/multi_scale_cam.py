"""The one multi-scale + flip CAM routine shared by every CAM model."""
from typing import Callable, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from .cam_normalization import max_normalize, minmax_normalize

# accepted values of ``normalize`` -> the per-map normalisation
CAM_NORMALIZERS = {
    True: max_normalize,
    'max': max_normalize,
    'minmax': minmax_normalize,
    False: None,
    None: None,
    'none': None,
}


@torch.no_grad()
def multi_scale_cam(class_map_fn: Callable[[Tensor], Tensor],
                    img: Tensor,
                    scales: Sequence[float] = (1.0, ),
                    flip: bool = True,
                    resize_mode: str = 'bilinear',
                    relu_before_upsample: bool = False,
                    normalize: Optional[Union[bool, str]] = True,
                    eps: float = 1e-5) -> Tensor:
    """Aggregate class maps over rescaled and flipped copies of ``img``.

    For every scale s (and its horizontal flip when ``flip``) the normalised
    image is resized to ``round(s·H) × round(s·W)``, passed through
    ``class_map_fn``, upsampled bilinearly (``align_corners=False``) to
    H × W, passed through ReLU (before or after the upsampling), flipped
    back and summed: ``S = Σ_{s, f} ReLU(up(M_{s,f}))``. Each class map is
    then normalised at full resolution: ``True`` / ``'max'`` (AEFT, SEAM)
    divides it by its maximum, ``CAM = S / (max S + eps)``; ``'minmax'``
    (ACR, github.com/sangrockEG/ACR ``max_norm``) gives
    ``CAM = ReLU(S − min S − eps) / (max S − min S + eps)``.
    Resizing the normalised image equals normalising the resized image
    because normalisation is a per-channel affine map.

    Args:
        class_map_fn: maps (N, 3, h, w) to raw class maps (N, C, h', w').
        img: normalised images (B, 3, H, W) of one common size.
        scales: rescaling factors. Default: (1.0,).
        flip: add horizontally flipped passes. Default: True.
        resize_mode: interpolation of the image rescaling ('bilinear',
            'bicubic', 'nearest'). Default: 'bilinear'.
        relu_before_upsample: apply ReLU at feature resolution (IRN) instead
            of after upsampling (AEFT, SEAM). Default: False.
        normalize: ``True`` / ``'max'``, ``'minmax'``, or ``False`` /
            ``None`` / ``'none'`` (raw sums). Default: True.
        eps: the ``eps`` of the normalisation. Default: 1e-5.

    Returns:
        Tensor: (B, C, H, W) float32 CAMs, in [0, 1] when normalised.
    """
    if not isinstance(normalize, (bool, str, type(None))) or \
            normalize not in CAM_NORMALIZERS:
        raise ValueError(
            f'normalize must be one of {list(CAM_NORMALIZERS)}, got '
            f'{normalize!r} (set cam_cfg.normalize)')
    if len(scales) == 0:
        raise ValueError('scales must contain at least one value')
    height, width = img.shape[-2:]
    total = None
    for scale in scales:
        if scale <= 0:
            raise ValueError(f'scales must be positive, got {scale}')
        size = (max(1, round(height * scale)), max(1, round(width * scale)))
        x = img if size == (height, width) else F.interpolate(
            img, size=size, mode=resize_mode,
            align_corners=None if resize_mode == 'nearest' else False)
        if flip:
            x = torch.cat([x, x.flip(-1)], dim=0)
        maps = class_map_fn(x).float()
        if relu_before_upsample:
            maps = maps.relu()
        maps = F.interpolate(
            maps, size=(height, width), mode='bilinear',
            align_corners=False).relu()
        if flip:
            plain, flipped = maps.chunk(2, dim=0)
            maps = plain + flipped.flip(-1)
        total = maps if total is None else total + maps
    normalizer = CAM_NORMALIZERS[normalize]
    return total if normalizer is None else normalizer(total, eps)
