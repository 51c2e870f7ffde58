"""Seconds and memory of the random walk: sparse steps against the official
dense matrix squaring, on the grids of a 500x375 image.

``python tools/analysis/benchmark_random_walk.py [--repeats 3] [--threads 1]``

psa / AEFT / hfpl walk at stride 8 (47 x 63 cells, PSA pairs r = 5, beta 8,
logt 6 and 8) with 21 and 3 channels, dense and sparse, and the largest
difference between them; the sparse walk alone at IRN's stride 4
(94 x 125 cells, 256 steps, beta 10, 20 channels; the dense IRN matrix
would take 552 MB and minutes per image). Random affinities and scores.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import numpy as np
import torch

from mmwsss.ops.pair_geometry import pair_endpoints, psa_pair_indices
from mmwsss.ops.random_walk import random_walk
from tests.references.dense_random_walk import dense_random_walk


def case(grid, channels, seed=0):
    rng = np.random.default_rng(seed)
    i, j = pair_endpoints(*psa_pair_indices(5, grid))
    aff = rng.random(len(i)).astype(np.float32)
    return rng.random((channels, grid[0] * grid[1])), i, j, aff


def timed(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return out, float(np.median(times))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f'torch threads {args.threads}, median of {args.repeats} runs\n')
    print('| walk | grid | channels | steps | dense (s) | sparse (s) | '
          'speed-up | max abs diff |')
    print('|---|---|---|---|---|---|---|---|')
    for logt in (6, 8):
        for channels in (21, 3):
            scores, i, j, aff = case((47, 63), channels)
            dense, t_dense = timed(
                lambda: dense_random_walk(scores, i, j, aff, 8, logt,
                                          torch.float32), args.repeats)
            sparse, t_sparse = timed(
                lambda: random_walk(scores, i, j, aff, 8, logt),
                args.repeats)
            diff = (sparse - dense.double()).abs().max().item()
            print(f'| psa (beta 8) | 47x63 | {channels} | {2**logt} | '
                  f'{t_dense:.3f} | {t_sparse:.3f} | '
                  f'{t_dense / t_sparse:.0f}x | {diff:.1e} |')
    scores, i, j, aff = case((94, 125), 20)
    _, t_sparse = timed(lambda: random_walk(scores, i, j, aff, 10, 8),
                        args.repeats)
    n = 94 * 125
    print(f'| IRN-size (beta 10) | 94x125 | 20 | 256 | not run (one '
          f'{n}x{n} float32 matrix: {n * n * 4 / 2**20:.0f} MiB) | '
          f'{t_sparse:.3f} | - | - |')


if __name__ == '__main__':
    main()
