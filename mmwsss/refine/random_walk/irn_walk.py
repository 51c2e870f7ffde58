"""IRN / RIB random walk from stride-4 CAMs and a class-boundary map to a
label map (the network that predicts the boundaries is a separate piece).

IRN: Ahn, Cho and Kwak, "Weakly Supervised Learning of Instance
Segmentation with Inter-pixel Relations", CVPR 2019, arXiv:1904.05044,
https://github.com/jiwoon-ahn/irn (``net/resnet50_irn.EdgeDisplacement``,
``misc/indexing.propagate_to_edge``, ``step/make_sem_seg_labels.py``);
RIB's settings (CAM power 1.3, threshold 0.27), Lee et al., NeurIPS 2021,
arXiv:2110.06530, https://github.com/jbeomlee93/RIB.

With B the (h, w) boundary map, r the radius (5) and all pairs (i, j) of
image cells with j - i in D_r:

    a_ij = 1 - max_{k in path(i, j)} B_k
    A    = I + sum a_ij (e_i e_j^T + e_j e_i^T),  W = A^beta (element-wise)
    T    = W diag(d)^-1,  d_j = sum_i W_ij
    x    = CAM^p ⊙ (1 - B)                 K channels, no background
    r    = x T^(2^exp_times)               (2^exp_times sparse steps)
    U    = bilinear_x4(r)[:, :H, :W] / max(U)     (one global max)
    label = [0, keys + 1][argmax([tau; U])]

The official code pads B by r with 1.0 on the left, right and bottom,
builds the pairs on the padded grid (so every image cell is a source),
and crops the dense N x N matrix back to the image cells before
normalising; a path between two image cells stays inside the image, so
this is exactly the set of in-image pairs used here, walked as sparse
steps (no N x N matrix).
"""
from typing import Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from mmwsss.ops.path_index import PathIndex, edge_to_affinity
from mmwsss.ops.random_walk import propagate, transition_matrix

ArrayLike = Union[np.ndarray, Tensor]
NORMALIZE_MODES = ('global', 'per_class')


def _as_tensor(value: ArrayLike, dtype: torch.dtype = None) -> Tensor:
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(np.ascontiguousarray(value))
    return value if dtype is None else value.to(dtype)


def edge_from_logits(logits: ArrayLike, size: Tuple[int, int]) -> Tensor:
    """Boundary map of an image from the logits of its two passes.

    B = sigmoid(L0[:h, :w] / 2 + flip(L1[:h, :w]) / 2): the logits of the
    image pass L0 and of the mirror pass L1 (as the network returned it,
    not flipped back) are each cropped to the top-left (h, w) = ``size``
    first, then the mirror's crop is flipped horizontally (official order).
    When the input was padded on the right (IRN pads to 512), the mirror
    pass is therefore shifted by 4 w - W pixels for a width W that is not a
    multiple of 4, as in the official code. A single pass (batch 1, no
    mirror) gives B = sigmoid(L0[:h, :w]).

    Args:
        logits (Tensor): (2, 1, h', w') or (2, h', w') (or batch 1).
        size (tuple[int, int]): (h4, w4) = ((H - 1) // 4 + 1,
            (W - 1) // 4 + 1) of the H x W image.

    Returns:
        Tensor: (h4, w4) boundary probabilities.
    """
    logits = _as_tensor(logits)
    if logits.dim() == 4 and logits.shape[1] == 1:
        logits = logits[:, 0]
    height, width = size
    if logits.dim() != 3 or logits.shape[0] not in (1, 2):
        raise ValueError(
            f'edge logits of shape {tuple(logits.shape)}: need (2, 1, h, w) '
            'or (2, h, w) for the image and mirror passes, or batch 1')
    if logits.shape[1] < height or logits.shape[2] < width:
        raise ValueError(
            f'edge logits of size {tuple(logits.shape[1:])} are smaller '
            f'than the requested {height} x {width}')
    cropped = logits[:, :height, :width]
    if cropped.shape[0] == 1:
        return torch.sigmoid(cropped[0])
    return torch.sigmoid(cropped[0] / 2 + cropped[1].flip(-1) / 2)


def image_pairs(edge: Tensor, radius: int) -> dict:
    """All in-image pairs within ``radius`` and their affinities, through
    the official padded PathIndex.

    Returns:
        dict: ``padded_edge`` (h + r, w + 2r), ``padded_affinity``
        (n_dirs, n_src) on the padded grid, ``pair_i``, ``pair_j`` (P,)
        image-cell indices (row-major, i the source), ``affinity`` (P,).
    """
    height, width = edge.shape
    padded = F.pad(edge[None], (radius, radius, 0, radius), value=1.0)[0]
    path_index = PathIndex(radius, tuple(padded.shape))
    padded_affinity = edge_to_affinity(padded[None],
                                       path_index.path_indices)[0]
    pad_w = padded.shape[1]
    src = torch.from_numpy(path_index.src_indices)[None].expand(
        path_index.num_dirs, -1).reshape(-1)
    dst = torch.from_numpy(path_index.dst_indices).reshape(-1)

    def to_image(index):
        y, x = index // pad_w, index % pad_w - radius
        return y, x, y * width + x

    ys, xs, pair_i = to_image(src)
    yd, xd, pair_j = to_image(dst)
    inside = ((ys < height) & (xs >= 0) & (xs < width) & (yd < height) &
              (xd >= 0) & (xd < width))
    inside = inside.to(edge.device)
    return dict(
        padded_edge=padded,
        padded_affinity=padded_affinity,
        pair_i=pair_i.to(edge.device)[inside],
        pair_j=pair_j.to(edge.device)[inside],
        affinity=padded_affinity.reshape(-1)[inside])


def irn_propagate(scores: ArrayLike,
                  edge: ArrayLike,
                  beta: float = 10.0,
                  exp_times: int = 8,
                  radius: int = 5,
                  dtype: torch.dtype = torch.float64) -> dict:
    """x = scores ⊙ (1 - B) walked 2^exp_times steps over all in-image
    pairs (see the module doc).

    Args:
        scores (array): (C, h, w) scores (CAM^p).
        edge (array): (h, w) boundary map B in [0, 1].
        beta (float): W = A^beta. Default: 10.
        exp_times (int): log2 of the number of steps. Default: 8.
        radius (int): pair radius. Default: 5.
        dtype (torch.dtype): dtype of the affinities and of the walk.
            Default: float64.

    Returns:
        dict: ``padded_edge``, ``padded_affinity``, ``pair_i``, ``pair_j``,
        ``affinity`` (from :func:`image_pairs`), ``scores_in`` (C, h, w)
        = scores ⊙ (1 - B), ``walked`` (C, h, w).
    """
    scores = _as_tensor(scores, dtype)
    edge = _as_tensor(edge, dtype).to(scores.device)
    if scores.dim() != 3 or edge.shape != scores.shape[1:]:
        raise ValueError(f'scores of shape {tuple(scores.shape)} and edge '
                         f'map of shape {tuple(edge.shape)}: need (C, h, w) '
                         'and (h, w)')
    if exp_times < 0:
        raise ValueError(f'exp_times must be >= 0, got {exp_times}')
    out = image_pairs(edge, radius)
    height, width = edge.shape
    scores_in = scores * (1 - edge)
    transition_t = transition_matrix(height * width, out['pair_i'],
                                     out['pair_j'], out['affinity'], beta,
                                     dtype)
    walked = propagate(
        scores_in.reshape(scores.shape[0], height * width), transition_t,
        2**exp_times).reshape(scores.shape)
    out.update(scores_in=scores_in, walked=walked)
    return out


def irn_semantic_label(edge: ArrayLike,
                       cams_lowres: ArrayLike,
                       keys: Union[Sequence[int], ArrayLike],
                       image_size: Tuple[int, int],
                       bg_threshold: float = 0.25,
                       cam_power: float = 1.0,
                       beta: float = 10.0,
                       exp_times: int = 8,
                       radius: int = 5,
                       normalize: str = 'global',
                       dtype: torch.dtype = torch.float64) -> dict:
    """IRN's semantic label map of one image (see the module doc).

    Args:
        edge (array): (h4, w4) boundary map (:func:`edge_from_logits`).
        cams_lowres (array): (K, h4, w4) stride-4 CAMs in [0, 1].
        keys (array): (K,) 0-based class indices (no background).
        image_size (tuple[int, int]): (H, W); 4 h4 >= H and 4 w4 >= W.
        bg_threshold (float): tau (IRN 0.25, RIB 0.27, RIB COCO 0.22).
        cam_power (float): p (IRN 1, RIB 1.3).
        beta, exp_times, radius: see :func:`irn_propagate`.
        normalize (str): 'global' (official: U / max(U) over all classes
            and pixels) or 'per_class' (each channel by its own max).
        dtype (torch.dtype): walk dtype. Default: float64.

    Returns:
        dict: the :func:`irn_propagate` outputs plus ``upsampled`` (K, H, W),
        ``normalised`` (K, H, W), ``with_bg`` (K + 1, H, W) and ``label``
        uint8 (H, W) (0 background, key + 1). If max(U) = 0 (where the
        official division gives NaN) or K = 0, every pixel is background.
    """
    if normalize not in NORMALIZE_MODES:
        raise ValueError(f'normalize must be one of {NORMALIZE_MODES}, got '
                         f'{normalize!r}')
    edge = _as_tensor(edge, dtype)
    cams = _as_tensor(cams_lowres, dtype).to(edge.device)
    keys = np.asarray(keys, np.int64).reshape(-1)
    height, width = (int(v) for v in image_size)
    if edge.dim() != 2 or cams.dim() != 3 or cams.shape[1:] != edge.shape:
        raise ValueError(f'CAMs of shape {tuple(cams.shape)} do not match the'
                         f' edge map of shape {tuple(edge.shape)}')
    if cams.shape[0] != keys.size:
        raise ValueError(f'{cams.shape[0]} CAMs but {keys.size} keys')
    if keys.size and (keys.min() < 0 or keys.max() >= 254):
        raise ValueError(f'keys {keys.tolist()} outside 0..253')
    if 4 * edge.shape[0] < height or 4 * edge.shape[1] < width:
        raise ValueError(
            f'a {tuple(edge.shape)} stride-4 map cannot cover a {height} x '
            f'{width} image: expected ((H - 1) // 4 + 1, (W - 1) // 4 + 1)')
    if cam_power != 1 and bool((cams < 0).any()):
        raise ValueError(f'CAMs must be >= 0 to be raised to cam_power='
                         f'{cam_power} (clip them or use cam_power=1)')
    out = irn_propagate(cams.pow(cam_power), edge, beta, exp_times, radius,
                        dtype)
    walked = out['walked']
    if keys.size:
        upsampled = F.interpolate(
            walked[None], size=(4 * edge.shape[0], 4 * edge.shape[1]),
            mode='bilinear', align_corners=False)[0, :, :height, :width]
    else:  # interpolate rejects zero channels
        upsampled = walked.new_zeros((0, height, width))
    if not keys.size:
        peak = upsampled.new_zeros(())
    elif normalize == 'global':
        peak = upsampled.max()
    else:
        peak = upsampled.flatten(1).amax(1)[:, None, None]
    # channels (or maps) whose max is 0 stay 0 instead of 0 / 0
    normalised = upsampled / torch.where(peak > 0, peak,
                                         torch.ones_like(peak))
    with_bg = torch.cat([
        normalised.new_full((1, height, width), float(bg_threshold)),
        normalised
    ])
    lut = np.concatenate([[0], keys + 1]).astype(np.uint8)
    index = with_bg.argmax(0).cpu().numpy()
    if not bool((peak > 0).any()):  # nothing left after the walk
        index = np.zeros_like(index)
    out.update(
        upsampled=upsampled,
        normalised=normalised,
        with_bg=with_bg,
        label=lut[index])
    return out
