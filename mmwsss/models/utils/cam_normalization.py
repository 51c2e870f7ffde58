"""Per-map CAM normalisations over the spatial dims."""
from torch import Tensor


def max_normalize(cams: Tensor, eps: float = 1e-5) -> Tensor:
    """``A / (max A + eps)`` per map over the last two dims (AEFT/SEAM
    inference; no minimum subtraction)."""
    peak = cams.flatten(-2).max(dim=-1).values[..., None, None]
    return cams / (peak + eps)


def minmax_normalize(cams: Tensor, eps: float = 1e-5) -> Tensor:
    """``ReLU(x⁺ − min x⁺ − eps) / (max x⁺ − min x⁺ + eps)`` per map with
    x⁺ = ReLU(x) (AEFT's training-time N(·), KAIST-vilab/AEFT; SEAM's
    max-norm). Differentiable through the minimum and maximum."""
    pos = cams.relu()
    flat = pos.flatten(-2)
    low = flat.min(dim=-1).values[..., None, None]
    high = flat.max(dim=-1).values[..., None, None]
    return (pos - low - eps).relu() / (high - low + eps)
