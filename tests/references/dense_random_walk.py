"""The official dense random walk, for tests and benchmarks: build the
N x N matrices and square T logt times (psa ``infer_aff.py``)."""
import numpy as np
import torch


def dense_transition(num_cells, pair_i, pair_j, affinity, beta,
                     dtype=torch.float64):
    """T = W diag(d)^-1 with W = (I + sym(a))^beta, as a dense matrix."""
    a = torch.eye(num_cells, dtype=dtype)
    i = torch.as_tensor(np.asarray(pair_i), dtype=torch.int64)
    j = torch.as_tensor(np.asarray(pair_j), dtype=torch.int64)
    aff = torch.as_tensor(np.asarray(affinity), dtype=dtype)
    a.index_put_((i, j), aff, accumulate=True)
    a.index_put_((j, i), aff, accumulate=True)
    w = a.pow(beta)
    return w / w.sum(0, keepdim=True)


def dense_random_walk(scores, pair_i, pair_j, affinity, beta, logt,
                      dtype=torch.float64):
    """x T^(2^logt) by squaring T logt times."""
    x = torch.as_tensor(np.asarray(scores), dtype=dtype)
    t = dense_transition(x.shape[-1], pair_i, pair_j, affinity, beta, dtype)
    for _ in range(logt):
        t = t @ t
    return x @ t
