"""IRN's walk the official way, for tests: pad the edge map with 1.0 by r
(left, right, bottom), dense affinities over the pairs of the padded grid,
crop the dense matrix to the image cells, W = A^beta, T = W / column sums,
square T exp_times times (IRN ``misc/indexing.propagate_to_edge``,
``step/make_sem_seg_labels.py``)."""
import numpy as np
import torch
import torch.nn.functional as F

from mmwsss.ops.pair_geometry import search_directions


def line_path(dy, dx):
    """Cells of the box within distance < 1 of the line, far end first
    (written independently of mmwsss.ops.path_index)."""
    cells = []
    for y in range(min(0, dy), max(0, dy) + 1):
        for x in range(min(0, dx), max(0, dx) + 1):
            if (dy * x - dx * y)**2 / (dy * dy + dx * dx) < 1:
                cells.append((y, x))
    return sorted(cells, key=lambda c: -abs(c[0]) - abs(c[1]))


def dense_padded_affinity(edge, radius):
    """(A over the padded grid, padded edge): A = I + sym(a) with
    a = 1 - max of the edge along each pair's path, pairs from every
    source of the padded grid (rows 0..Hp-r, columns r-1..Wp-r)."""
    padded = F.pad(edge[None], (radius, radius, 0, radius), value=1.0)[0]
    hp, wp = padded.shape
    grid = padded.numpy()
    a = np.eye(hp * wp)
    rf = radius - 1
    for dy, dx in search_directions(radius):
        path = line_path(dy, dx)
        for y in range(0, hp - rf):
            for x in range(rf, wp - rf):
                value = 1 - max(grid[y + py, x + px] for py, px in path)
                i, j = y * wp + x, (y + dy) * wp + x + dx
                a[i, j] += value
                a[j, i] += value
    return torch.from_numpy(a), padded


def dense_irn_propagate(scores, edge, beta=10.0, exp_times=8, radius=5):
    """x (1 - B) T^(2^exp_times) with the dense matrices; returns
    (walked (C, h, w), cropped A, T^(2^exp_times))."""
    scores = torch.as_tensor(np.asarray(scores), dtype=torch.float64)
    edge = torch.as_tensor(np.asarray(edge), dtype=torch.float64)
    height, width = edge.shape
    a, padded = dense_padded_affinity(edge, radius)
    hp, wp = padded.shape
    a = a.reshape(hp, wp, hp, wp)[:height, radius:radius + width, :height,
                                  radius:radius + width]
    a = a.reshape(height * width, height * width)
    w = a.pow(beta)
    t = w / w.sum(0, keepdim=True)
    for _ in range(exp_times):
        t = t @ t
    x = (scores * (1 - edge)).reshape(scores.shape[0], -1)
    return (x @ t).reshape(scores.shape), a, t


def dense_irn_label(edge, cams, keys, image_size, bg_threshold=0.25,
                    cam_power=1.0, beta=10.0, exp_times=8, radius=5):
    """The official semantic label (global max, constant background)."""
    cams = torch.as_tensor(np.asarray(cams), dtype=torch.float64)
    walked, _, _ = dense_irn_propagate(cams.pow(cam_power), edge, beta,
                                       exp_times, radius)
    up = F.interpolate(walked[:, None], scale_factor=4, mode='bilinear',
                       align_corners=False)[:, 0, :image_size[0],
                                            :image_size[1]]
    up = up / up.max()
    with_bg = F.pad(up, (0, 0, 0, 0, 1, 0), value=bg_threshold)
    lut = np.concatenate([[0], np.asarray(keys) + 1])
    return lut[with_bg.argmax(0).numpy()].astype(np.uint8), up
