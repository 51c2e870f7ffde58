"""Time the dense CRF (seconds per image, 1 vs N worker processes).

Example::

    python tools/analysis/benchmark_crf.py --images 8 --labels 21 --nproc 2

Each image is a random RGB image (smoothed noise by default, ``--noise``
for i.i.d. pixels, the lattice's worst case) with smooth random label
scores; the CRF settings are :class:`DenseCRFRefiner`'s defaults (10
mean-field iterations, Gaussian 3/3, bilateral 80/13/10).
"""
import argparse
import multiprocessing
import os
import os.path as osp
import sys
import time

import numpy as np
from scipy import ndimage

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from mmwsss.ops import dense_crf


def make_inputs(seed: int, height: int, width: int, labels: int,
                noise: bool) -> tuple:
    """A random image and smooth random scores (L, H, W) summing to 1."""
    rng = np.random.default_rng(seed)
    image = rng.random((height, width, 3)) * 255
    if not noise:
        image = ndimage.gaussian_filter(image, (4, 4, 0))
        image = (image - image.min()) / np.ptp(image) * 255
    logits = ndimage.gaussian_filter(
        rng.normal(0, 1, (labels, height, width)), (0, 12, 12)) * 40
    probs = np.exp(logits - logits.max(0))
    return image.astype(np.uint8), (probs / probs.sum(0)).astype(np.float32)


def _run(args: tuple) -> tuple:
    """(wall, CPU) seconds of one CRF inside a worker."""
    seed, height, width, labels, noise = args
    image, probs = make_inputs(seed, height, width, labels, noise)
    wall, cpu = time.perf_counter(), time.process_time()
    dense_crf(image, probs)
    return time.perf_counter() - wall, time.process_time() - cpu


def benchmark(images: int, nproc: int, height: int, width: int, labels: int,
              noise: bool) -> dict:
    """Wall seconds per image of the whole pool (inputs included) and the
    mean wall and CPU seconds of one CRF inside a worker. On a shared
    machine the CPU time is the figure to compare with a per-core target."""
    tasks = [(i, height, width, labels, noise) for i in range(images)]
    with multiprocessing.get_context('fork').Pool(nproc) as pool:
        pool.map(_run, tasks[:nproc])  # warm-up: imports, page faults
        start = time.perf_counter()
        times = np.array(pool.map(_run, tasks, chunksize=1))
        wall = time.perf_counter() - start
    return dict(
        wall_per_image=wall / images,
        crf_wall=times[:, 0].mean(),
        crf_cpu=times[:, 1].mean())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', type=int, default=8)
    parser.add_argument('--height', type=int, default=375)
    parser.add_argument('--width', type=int, default=500)
    parser.add_argument('--labels', type=int, default=21)
    parser.add_argument('--nproc', type=int, default=2)
    parser.add_argument(
        '--noise',
        action='store_true',
        help='i.i.d. noise image instead of smoothed noise')
    args = parser.parse_args(argv)
    print(f'{args.images} images {args.width}x{args.height}, {args.labels} '
          f'labels, {"noise" if args.noise else "smooth"} image, '
          f'{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}')
    base = None
    for nproc in sorted({1, args.nproc}):
        res = benchmark(args.images, nproc, args.height, args.width,
                        args.labels, args.noise)
        base = base or res['wall_per_image']
        print(f'nproc {nproc}: pool {res["wall_per_image"]:.3f} s/img '
              f'(speed-up {base / res["wall_per_image"]:.2f}x); one CRF '
              f'{res["crf_wall"]:.3f} s wall, {res["crf_cpu"]:.3f} s CPU')


if __name__ == '__main__':
    main()
