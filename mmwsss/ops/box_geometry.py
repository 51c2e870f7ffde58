"""Box and grid geometry shared by BANA's head (stage 1) and its box
labeler (stage 2): the grid padding rule and BANA's box normalisation
(Oh et al., CVPR 2021)."""
from typing import Sequence, Tuple

import torch
from torch import Tensor


def grid_padding(size: int, grid_size: int) -> Tuple[int, int]:
    """Zero padding (before, after) that makes ``size`` a multiple of N.

    As in the official BANA code: P = (N - size mod N) mod N; an even P is
    split evenly, an odd P goes entirely to the end (bottom / right).

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


def normalize_boxes(boxes: Tensor, img_size: Sequence[int]) -> Tensor:
    """Pixel boxes -> BANA's normalised coordinates.

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
