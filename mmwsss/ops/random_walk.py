"""The random walk of AffinityNet / IRN as sparse propagation steps.

AffinityNet / PSA: Ahn and Kwak, CVPR 2018, arXiv:1803.10464 (official code
https://github.com/jiwoon-ahn/psa, ``infer_aff.py``); IRN: Ahn, Cho and
Kwak, "Weakly Supervised Learning of Instance Segmentation with Inter-pixel
Relations", CVPR 2019, arXiv:1904.05044 (https://github.com/jiwoon-ahn/irn,
``misc/indexing.propagate_to_edge``).

With pairs P and affinities a_ij, A = I + sum_P a_ij (e_i e_j^T + e_j e_i^T),
W = A^beta (element-wise), d_j = sum_i W_ij and T = W diag(d)^-1; scores
x (C x N) become r = x T^(2^L). The official code squares the dense N x N
matrix L times (N^3 per squaring: 35 MB and seconds per image at stride 8,
552 MB per matrix and minutes at IRN's stride 4). Since x T^(2^L) equals
2^L successive steps x <- x T, and each step only needs T's non-zeros,

    (x T)_{c,j} = sum_{i in N(j)} x_{c,i} W_ij / d_j,

the walk here is 2^L sparse products with the normalised weights
V_ij = W_ij / d_j built once (float64 by default): no N x N matrix exists.
Each step replaces a cell by a W-weighted mean of its neighbourhood, so
scores stay within [min x, max x], zero channels stay zero and isolated
cells keep their value.
"""
from typing import Union

import numpy as np
import torch
from torch import Tensor

ArrayLike = Union[np.ndarray, Tensor]


def _tensor(value: ArrayLike, dtype: torch.dtype,
            device=None) -> Tensor:
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    return value.to(device=device, dtype=dtype)


def transition_matrix(num_cells: int,
                      pair_i: ArrayLike,
                      pair_j: ArrayLike,
                      affinity: ArrayLike,
                      beta: float,
                      dtype: torch.dtype = torch.float64) -> Tensor:
    """T^T = (W diag(d)^-1)^T as a sparse CSR (N x N) tensor.

    Args:
        num_cells (int): N.
        pair_i, pair_j (array): (P,) cell indices of each pair (each
            unordered pair once; duplicates add up, as in A's sum).
        affinity (array): (P,) a_ij in [0, 1].
        beta (float): the exponent of W = A^beta.
        dtype (torch.dtype): dtype of the weights. Default: float64.

    Returns:
        Tensor: sparse CSR, row j holds V_ij = W_ij / d_j, so that one step
        is ``T^T @ x`` with x of shape (N, C).
    """
    device = affinity.device if isinstance(affinity, Tensor) else None
    i = _tensor(pair_i, torch.int64, device).reshape(-1)
    j = _tensor(pair_j, torch.int64, device).reshape(-1)
    a = _tensor(affinity, dtype, device).reshape(-1)
    if not (i.numel() == j.numel() == a.numel()):
        raise ValueError(f'{i.numel()} / {j.numel()} pair ends but '
                         f'{a.numel()} affinities')
    eye = torch.arange(num_cells, device=a.device)
    rows = torch.cat([eye, j, i])
    cols = torch.cat([eye, i, j])
    # A's entries first (duplicates summed), then the element-wise power
    a_sparse = torch.sparse_coo_tensor(
        torch.stack([rows, cols]),
        torch.cat([torch.ones(num_cells, dtype=dtype, device=a.device), a,
                   a]), (num_cells, num_cells)).coalesce()
    weights = a_sparse.values().pow(beta)
    rows, cols = a_sparse.indices()
    degree = torch.zeros(num_cells, dtype=dtype, device=a.device)
    degree.index_add_(0, rows, weights)  # W symmetric: row sums = d
    return torch.sparse_coo_tensor(
        torch.stack([rows, cols]), weights / degree[rows],
        (num_cells, num_cells)).coalesce().to_sparse_csr()


def propagate(scores: ArrayLike,
              transition_t: Tensor,
              num_steps: int) -> Tensor:
    """x T^num_steps by ``num_steps`` sparse steps.

    Args:
        scores (array): (C, N) scores (row vectors per channel).
        transition_t (Tensor): from :func:`transition_matrix`.
        num_steps (int): e.g. 2^logt (psa 256, AEFT / hfpl 64, IRN 256).

    Returns:
        Tensor: (C, N) walked scores, in the weights' dtype.
    """
    x = _tensor(scores, transition_t.dtype, transition_t.device).t()
    if x.shape[0] != transition_t.shape[0]:
        raise ValueError(f'scores have {x.shape[0]} cells, the transition '
                         f'matrix {transition_t.shape[0]}')
    active = x.abs().amax(0) > 0  # zero channels stay zero: skip them
    out = torch.zeros_like(x)
    walked = x[:, active].contiguous()
    for _ in range(num_steps):
        walked = transition_t @ walked
    out[:, active] = walked
    return out.t()


def random_walk(scores: ArrayLike,
                pair_i: ArrayLike,
                pair_j: ArrayLike,
                affinity: ArrayLike,
                beta: float,
                logt: int,
                dtype: torch.dtype = torch.float64) -> Tensor:
    """r = x T^(2^logt) on the cells of the pairs (see the module doc).

    Args:
        scores (array): (C, N).
        pair_i, pair_j, affinity (array): (P,) pairs and affinities.
        beta (float): W = A^beta (psa / AEFT 8, IRN 10).
        logt (int): log2 of the number of steps (psa 8, AEFT / hfpl 6,
            IRN 8).
        dtype (torch.dtype): walk dtype. Default: float64.

    Returns:
        Tensor: (C, N) walked scores.
    """
    num_cells = _tensor(scores, dtype).shape[-1]
    transition_t = transition_matrix(num_cells, pair_i, pair_j, affinity,
                                     beta, dtype)
    return propagate(scores, transition_t, 2**logt)
