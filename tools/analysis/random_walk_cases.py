"""Synthetic inputs and the official dense walks for
``benchmark_random_walk.py`` (a helper module, not a command).

Inputs look like real ones so that label agreement means something: CAMs
are a few Gaussian blobs per present class; psa affinities are
a_ij = exp(-mean_c |phi_c(i) - phi_c(j)|) of a feature map phi (one-hot
regions of the blobs, slightly blurred and scaled, plus smooth noise), as
AffinityNet's head computes them;
the IRN boundary map is the gradient magnitude of the blobs plus a few
straight lines and a low smooth floor.

The dense paths follow the official code in float32 (psa ``infer_aff.py``:
dense A over all 21 channels, T = W / column sums, squared logt times; IRN
``misc/indexing.propagate_to_edge``: dense A on the edge grid padded by r,
cropped to the image cells, squared exp_times times; Ahn and Kwak, CVPR
2018, arXiv:1803.10464, https://github.com/jiwoon-ahn/psa; Ahn, Cho and
Kwak, CVPR 2019, arXiv:1904.05044, https://github.com/jiwoon-ahn/irn).
"""
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from mmwsss.ops.pair_geometry import pair_endpoints, psa_pair_indices
from mmwsss.ops.path_index import PathIndex, edge_to_affinity
from mmwsss.refine.random_walk.irn_walk import irn_semantic_label
from mmwsss.refine.random_walk.psa_walk import psa_walk

NUM_CLASSES = 20  # VOC foreground classes; psa walks bg + 20 channels
PSA_RADIUS, PSA_BETA, STRIDE = 5, 8.0, 8
IRN_RADIUS, IRN_BETA, IRN_BG = 5, 10.0, 0.25


def blob_params(seed: int, num_classes: int = 3) -> dict:
    """Keys and blobs (relative centre, sigma, peak) of each class."""
    rng = np.random.default_rng(seed)
    keys = np.sort(rng.choice(NUM_CLASSES, num_classes, replace=False))
    blobs = [[(rng.uniform(0.15, 0.85, 2), rng.uniform(0.08, 0.2, 2),
               rng.uniform(0.6, 1.0)) for _ in range(rng.integers(1, 3))]
             for _ in keys]
    return dict(keys=keys.astype(np.int64), blobs=blobs, seed=seed)


def render_cams(params: dict, shape) -> np.ndarray:
    """(K, h, w) float32 CAMs in [0, 1] of the blobs on an h x w grid."""
    height, width = shape
    ys = (np.arange(height) + 0.5)[:, None] / height
    xs = (np.arange(width) + 0.5)[None] / width
    cams = np.zeros((len(params['blobs']), height, width))
    for k, blobs in enumerate(params['blobs']):
        for centre, sigma, peak in blobs:
            blob = peak * np.exp(-((ys - centre[0]) / sigma[0])**2 / 2 -
                                 ((xs - centre[1]) / sigma[1])**2 / 2)
            cams[k] = np.maximum(cams[k], blob)
    return cams.astype(np.float32)


def smooth_noise(rng, shape, sigma: float) -> np.ndarray:
    """Gaussian-filtered white noise with unit standard deviation."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape), sigma)
    return field / field.std()


def psa_inputs(image_size, seed: int = 0) -> dict:
    """CAMs (K, H, W), keys, affinities (|D_5|, n_src) float32 on the
    stride-8 grid of an H x W image, and that grid."""
    params = blob_params(seed)
    height, width = image_size
    grid = (math.ceil(height / STRIDE), math.ceil(width / STRIDE))
    rng = np.random.default_rng(seed + 1)
    cams = render_cams(params, grid)
    segment = np.concatenate([np.full((1, *grid), 0.35), cams]).argmax(0)
    regions = [ndimage.gaussian_filter((segment == k) * 6.0, 0.5)
               for k in range(len(cams) + 1)]
    phi = np.concatenate([
        np.stack(regions),
        0.3 * np.stack([smooth_noise(rng, grid, 2.0) for _ in range(8)])
    ]).reshape(-1, grid[0] * grid[1])
    ind_from, ind_to = psa_pair_indices(PSA_RADIUS, grid)
    pair_i, pair_j = pair_endpoints(ind_from, ind_to)
    affinity = np.exp(-np.abs(phi[:, pair_i] - phi[:, pair_j]).mean(0))
    return dict(
        cams=render_cams(params, image_size),
        keys=params['keys'],
        affinity=affinity.reshape(-1, len(ind_from)).astype(np.float32),
        grid=grid)


def irn_inputs(image_size, seed: int = 0) -> dict:
    """Stride-4 CAMs (K, h4, w4), keys and boundary map (h4, w4) float32 of
    an H x W image."""
    params = blob_params(seed)
    grid = tuple((s - 1) // 4 + 1 for s in image_size)
    rng = np.random.default_rng(seed + 2)
    cams = render_cams(params, grid)
    edge = np.zeros(grid)
    for cam in cams:
        gy, gx = np.gradient(ndimage.gaussian_filter(cam, 1.0))
        edge = np.maximum(edge, np.hypot(gy, gx))
    edge *= 10 * max(grid) / 100  # blob rims ~0.5-1 at any size
    ys, xs = np.mgrid[:grid[0], :grid[1]]
    for _ in range(3):  # straight boundaries crossing the image
        angle = rng.uniform(0, np.pi)
        y0, x0 = rng.uniform(0, 1, 2) * grid
        dist = (ys - y0) * np.cos(angle) - (xs - x0) * np.sin(angle)
        edge = np.maximum(edge, rng.uniform(0.5, 0.9) * np.exp(-dist**2))
    edge += 0.03 * (1 + smooth_noise(rng, grid, 3.0))
    return dict(
        cams=cams,
        keys=params['keys'],
        edge=np.clip(edge, 0, 1).astype(np.float32),
        grid=grid)


def dense_affinity(cells: int, pair_i, pair_j, affinity):
    """The dense A = I + sum_P a_ij (e_i e_j^T + e_j e_i^T), N x N, on the
    device and in the dtype of ``affinity`` (a tensor)."""
    device = affinity.device
    src = torch.as_tensor(pair_i, device=device).reshape(-1)
    dst = torch.as_tensor(pair_j, device=device).reshape(-1)
    eye = torch.arange(cells, device=device)
    return torch.sparse_coo_tensor(
        torch.stack([torch.cat([src, eye, dst]),
                     torch.cat([dst, eye, src])]),
        torch.cat([affinity, affinity.new_ones(cells), affinity]),
        (cells, cells)).to_dense()


def dense_psa_walk(cams, keys, affinity, alpha: float, logt: int,
                   dtype=torch.float32) -> dict:
    """psa's walk with the dense matrix, all 21 channels (absent classes
    zero), the same pooling, upsampling and argmax as ``psa_walk``; on the
    device of ``affinity`` (an array: the CPU), the NumPy ``cams`` copied
    there as ``psa_walk`` does."""
    affinity = torch.as_tensor(affinity).reshape(-1).to(dtype)
    num, height, width = cams.shape
    pad_h = STRIDE * math.ceil(height / STRIDE)
    pad_w = STRIDE * math.ceil(width / STRIDE)
    grid = (pad_h // STRIDE, pad_w // STRIDE)
    full = np.zeros((NUM_CLASSES + 1, height, width), np.float32)
    full[keys + 1] = cams
    full[0] = np.power(1 - cams.max(0), alpha, dtype=np.float32)
    padded = F.pad(torch.from_numpy(full).to(affinity.device),
                   (0, pad_w - width, 0, pad_h - height))
    pooled = F.avg_pool2d(padded[None], STRIDE)[0].reshape(len(full), -1)
    pair_i, pair_j = pair_endpoints(*psa_pair_indices(PSA_RADIUS, grid))
    trans = dense_to_transition(
        dense_affinity(grid[0] * grid[1], pair_i, pair_j, affinity),
        PSA_BETA, logt)
    walked = (pooled.to(dtype) @ trans).reshape(len(full), *grid)
    upsampled = F.interpolate(
        walked[None], size=(pad_h, pad_w), mode='bilinear',
        align_corners=False)[0]
    label = upsampled[:, :height, :width].argmax(0).cpu().numpy()
    present = torch.from_numpy(np.concatenate([[0], keys + 1]))
    return dict(walked=walked[present.to(walked.device)],
                label=label.astype(np.uint8))


def dense_to_transition(affinity, beta: float, times: int):
    """T = A^beta / column sums, squared ``times`` times (official)."""
    scaled = affinity.pow(beta)
    trans = scaled / scaled.sum(0, keepdim=True)
    for _ in range(times):
        trans = trans @ trans
    return trans


def dense_irn_propagate(scores, edge, beta: float, exp_times: int,
                        radius: int = IRN_RADIUS, dtype=torch.float32):
    """IRN's walk of (C, h, w) scores over a dense matrix: A on the edge
    grid padded by r (1.0 left / right / bottom), then cropped to the image
    cells; affinities, matrix and walk in ``dtype``. Returns (C, h, w)."""
    edge, scores = edge.to(dtype), scores.to(dtype)
    height, width = edge.shape
    pad_h, pad_w = height + radius, width + 2 * radius
    padded = F.pad(edge[None], (radius, radius, 0, radius), value=1.0)
    index = PathIndex(radius, (pad_h, pad_w))
    sparse_aff = edge_to_affinity(padded, index.path_indices).reshape(-1)
    dense = dense_affinity(
        pad_h * pad_w,
        torch.from_numpy(index.src_indices).repeat(index.num_dirs),
        torch.from_numpy(index.dst_indices), sparse_aff)
    dense = dense.view(pad_h, pad_w, pad_h, pad_w)
    dense = dense[:-radius, radius:-radius, :-radius, radius:-radius]
    dense = dense.reshape(height * width, height * width)
    trans = dense_to_transition(dense, beta, exp_times)
    x = (scores * (1 - edge)).reshape(len(scores), -1)
    return (x @ trans).reshape(scores.shape)


def dense_irn_label(edge, cams, keys, image_size, exp_times: int,
                    dtype=torch.float32) -> dict:
    """IRN's semantic label with the dense walk (global max, constant
    background score, keys lookup), as ``make_sem_seg_labels.py``."""
    edge = torch.as_tensor(edge)
    walked = dense_irn_propagate(torch.as_tensor(cams).to(edge.device),
                                 edge, IRN_BETA,
                                 exp_times, dtype=dtype)
    up = F.interpolate(
        walked[None], scale_factor=4, mode='bilinear',
        align_corners=False)[0, :, :image_size[0], :image_size[1]]
    up = up / up.max()
    with_bg = F.pad(up, (0, 0, 0, 0, 1, 0), value=IRN_BG)
    lut = np.concatenate([[0], keys + 1]).astype(np.uint8)
    return dict(walked=walked, label=lut[with_bg.argmax(0).cpu().numpy()])


def make_inputs(job: dict) -> dict:
    """The inputs of a walk case (not timed)."""
    maker = psa_inputs if job['kind'] == 'psa' else irn_inputs
    return maker(tuple(job['size']), job.get('seed', 0))


def on_device(job: dict, inputs: dict) -> dict:
    """The inputs with the walk's arrays as tensors on ``job['device']``
    (moved once, before timing): psa affinities (psa CAMs stay NumPy, as
    ``psa_walk`` takes them), IRN boundary map and CAMs. CPU: unchanged."""
    device = job.get('device', 'cpu')
    if device == 'cpu':
        return inputs
    names = ('affinity', ) if job['kind'] == 'psa' else ('edge', 'cams')
    return dict(inputs, **{
        name: torch.from_numpy(inputs[name]).to(device)
        for name in names
    })


def walk_once(job: dict, inputs: dict) -> dict:
    """One full walk (scores to label map): ``walked`` and ``label``."""
    dtype = getattr(torch, job.get('dtype', 'float32'))
    if job['kind'] == 'psa':
        if job['path'] == 'dense':
            return dense_psa_walk(inputs['cams'], inputs['keys'],
                                  inputs['affinity'], job['alpha'],
                                  job['logt'], dtype)
        out = psa_walk(inputs['cams'], inputs['keys'], inputs['affinity'],
                       PSA_RADIUS, job['alpha'], PSA_BETA, job['logt'])
        return dict(walked=out['walked'], label=out['label'])
    if job['path'] == 'dense':
        return dense_irn_label(inputs['edge'], inputs['cams'],
                               inputs['keys'], job['size'], job['logt'],
                               dtype)
    out = irn_semantic_label(inputs['edge'], inputs['cams'], inputs['keys'],
                             tuple(job['size']), IRN_BG, 1.0, IRN_BETA,
                             job['logt'], IRN_RADIUS)
    return dict(walked=out['walked'], label=out['label'])


def status_kib(field: str) -> int:
    """A ``VmRSS`` / ``VmHWM`` line of /proc/self/status, in KiB."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/self/status')


def reset_peak() -> int:
    """Reset the RSS high-water mark to the current RSS (Linux
    ``clear_refs`` 5); returns the baseline in KiB: the current RSS, or
    the old high-water mark when the reset is not allowed."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        return status_kib('VmHWM')
    return status_kib('VmRSS')


def timed_runs(fn, repeats: int) -> dict:
    """Median seconds of ``repeats`` calls and the peak RSS above the
    baseline taken just before, in MiB; ``out`` the last result."""
    baseline = reset_peak()
    seconds = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        out = fn()
        seconds.append(time.perf_counter() - start)
    peak = (status_kib('VmHWM') - baseline) / 1024
    return dict(seconds=float(np.median(seconds)), peak_mb=peak, out=out)


def timed_runs_cuda(fn, repeats: int) -> dict:
    """As :func:`timed_runs` on the GPU: each call bracketed by
    ``torch.cuda.synchronize()``; the peak is
    ``torch.cuda.max_memory_allocated()`` after
    ``torch.cuda.reset_peak_memory_stats()``, above the memory allocated
    just before (the inputs), in MiB."""
    torch.cuda.synchronize()
    baseline = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    seconds = []
    for _ in range(max(1, repeats)):
        torch.cuda.synchronize()
        start = time.perf_counter()
        out = fn()
        torch.cuda.synchronize()
        seconds.append(time.perf_counter() - start)
    peak = (torch.cuda.max_memory_allocated() - baseline) / 2**20
    return dict(seconds=float(np.median(seconds)), peak_mb=peak, out=out)
