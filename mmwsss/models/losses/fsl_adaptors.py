"""SEAM adaptors of the FSL: the prediction map from a host's CAMs and the
guidance image from its network input (Jonnarth et al., WACV 2024)."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def fsl_prediction_map(cams: Tensor, labels: Tensor,
                       eps: float = 1e-5) -> Tensor:
    """SEAM's prediction map for the FSL (as in arvijj/hfpl).

    1. max-norm per image and channel: ``r = relu(s)``, ``Y⁰ = relu(r -
       min r - eps) / (max r - min r + eps)``; gradients flow through ``r``,
       the min and the max (not detached);
    2. times the labels (absent classes become 0 and get no gradient);
    3. background ``Y_0 = 1 - max_c Y_c`` prepended.

    The official code builds this from SEAM's 21-channel map whose
    background channel is then overwritten, so passing only the foreground
    maps gives the same result.

    Args:
        cams (Tensor): (N, K, h, w) raw foreground class scores.
        labels (Tensor): (N, K) multi-hot image labels.
        eps (float): max-norm offset. Default: 1e-5.

    Returns:
        Tensor: (N, 1 + K, h, w) in [0, 1], background first.
    """
    if cams.dim() != 4 or labels.shape != cams.shape[:2]:
        raise ValueError(f'cams must be (N, K, h, w) and labels (N, K), got '
                         f'{tuple(cams.shape)} and {tuple(labels.shape)}')
    r = F.relu(cams).flatten(2)
    r_min = r.min(dim=2, keepdim=True).values
    r_max = r.max(dim=2, keepdim=True).values
    y = F.relu(r - r_min - eps) / (r_max - r_min + eps)
    y = y.view_as(cams) * labels.to(y.dtype)[:, :, None, None]
    background = 1 - y.max(dim=1, keepdim=True).values
    return torch.cat([background, y], dim=1)


def fsl_guidance_image(images: Tensor,
                       size: Tuple[int, int],
                       mean: Optional[Tuple[float, float, float]] = None,
                       std: Optional[Tuple[float, float, float]] = None
                       ) -> Tensor:
    """Guidance image at CAM resolution, without gradient.

    Bilinear resize with ``align_corners=True`` and no anti-aliasing (it
    samples the image at the h×w grid positions), then, when ``mean`` and
    ``std`` are given, de-normalisation ``x·std + mean`` (the official
    order; resizing commutes with it up to rounding), then clamp to [0, 1].

    Args:
        images (Tensor): (N, 3, H, W) RGB in [0, 1], or normalised when
            ``mean``/``std`` are given (on the [0, 1] scale, e.g. ImageNet
            (0.485, 0.456, 0.406) / (0.229, 0.224, 0.225)).
        size (tuple[int, int]): (h, w) of the CAMs.

    Returns:
        Tensor: (N, 3, h, w) in [0, 1].
    """
    if (mean is None) != (std is None):
        raise ValueError('give both mean and std, or neither')
    with torch.no_grad():
        x = images.detach()
        if not x.is_floating_point():
            x = x.float()
        if tuple(x.shape[-2:]) != tuple(size):
            x = F.interpolate(
                x, size=tuple(size), mode='bilinear', align_corners=True)
        if mean is not None:
            x = (x * x.new_tensor(std)[:, None, None] +
                 x.new_tensor(mean)[:, None, None])
        return x.clamp(0, 1)
