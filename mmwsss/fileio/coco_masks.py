"""COCO instance masks: polygons and run-length encoding (RLE), both ways.

The formats are those of the COCO annotation files (Lin et al., "Microsoft
COCO: Common Objects in Context", ECCV 2014, arXiv:1405.0312) as
pycocotools reads and writes them (github.com/cocodataset/cocoapi,
``common/maskApi.c``):

- RLE: run lengths over the mask in column-major order, starting with a run
  of 0s; the compressed ``counts`` string stores each run in 5-bit groups
  as ``chr(48 + group)``, bit 0x20 marking a continuation and bit 0x10 of
  the last group the sign, and from the fourth run on the difference to the
  run two positions before.
- Polygons: ``[x1, y1, x2, y2, ...]`` in pixel coordinates, pixel (i, j)
  covering ``[j, j + 1] x [i, i + 1]``; a pixel is inside when its centre
  is (even-odd rule).

No pycocotools needed: the decoder matches its output on the references in
``tests/test_fileio/test_coco_masks.py``.
"""
from typing import List, Sequence, Union

import numpy as np
from scipy import ndimage


def decode_rle_string(text: Union[str, bytes]) -> List[int]:
    """Decode COCO's compressed RLE string into run lengths.

    Args:
        text (str | bytes): the ``counts`` string.

    Returns:
        list[int]: run lengths, alternating 0s and 1s, starting with 0s.
    """
    data = text.encode() if isinstance(text, str) else text
    counts, pos = [], 0
    while pos < len(data):
        value, shift, more = 0, 0, True
        while more:
            group = data[pos] - 48
            value |= (group & 0x1f) << shift
            more = bool(group & 0x20)
            pos += 1
            shift += 5
            if not more and group & 0x10:
                value -= 1 << shift
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts


def encode_rle_string(counts: Sequence[int]) -> str:
    """Compress run lengths into COCO's RLE string (the inverse of
    :func:`decode_rle_string`, pycocotools' ``rleToString``).

    Args:
        counts (Sequence[int]): run lengths, 0s first.

    Returns:
        str: the ``counts`` string.
    """
    out = []
    for i, count in enumerate(counts):
        value = int(count) - (int(counts[i - 2]) if i > 2 else 0)
        more = True
        while more:
            group = value & 0x1f
            value >>= 5  # arithmetic shift: -1 stays -1
            more = value != -1 if group & 0x10 else value != 0
            out.append(chr(48 + (group | (0x20 if more else 0))))
    return ''.join(out)


def mask_to_rle_counts(mask: np.ndarray) -> List[int]:
    """Run lengths of a mask in column-major order, 0s first.

    Args:
        mask (np.ndarray): bool or 0/1 (H, W).

    Returns:
        list[int]: run lengths summing to ``H * W``.
    """
    flat = np.asarray(mask, dtype=bool).T.ravel()
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    counts = np.diff(bounds).tolist()
    return [0] + counts if flat.size and flat[0] else counts


def rle_to_mask(counts: Sequence[int], height: int, width: int) -> np.ndarray:
    """Expand run lengths (column-major, 0s first) into a mask.

    Args:
        counts (Sequence[int]): run lengths summing to ``height * width``.
        height (int): mask height.
        width (int): mask width.

    Returns:
        np.ndarray: bool (height, width).
    """
    flat = np.repeat(np.arange(len(counts)) % 2 == 1, counts)
    return flat.reshape(width, height).T


def polygon_to_mask(poly: Sequence[float], height: int,
                    width: int) -> np.ndarray:
    """Rasterise a polygon ``[x1, y1, x2, y2, ...]`` by pixel centres.

    Pixel (i, j) is inside when its centre (j + 0.5, i + 0.5) is (even-odd
    rule): a scanline fill, close to pycocotools' rasterisation.

    Args:
        poly (Sequence[float]): vertex coordinates, at least 3 vertices.
        height (int): mask height.
        width (int): mask width.

    Returns:
        np.ndarray: bool (height, width).
    """
    pts = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
    xa, ya = pts[:, 0], pts[:, 1]
    xb, yb = np.roll(xa, -1), np.roll(ya, -1)
    y = np.arange(height)[:, None] + 0.5
    rows, edges = np.nonzero(((ya <= y) & (y < yb)) | ((yb <= y) & (y < ya)))
    ye = y[rows, 0]
    x = xa[edges] + (ye - ya[edges]) * (xb[edges] - xa[edges]) / (
        yb[edges] - ya[edges])
    cols = np.clip(np.ceil(x - 0.5), 0, width).astype(np.int64)
    crossings = np.zeros((height, width + 1), dtype=np.int32)
    np.add.at(crossings, (rows, cols), 1)
    return np.cumsum(crossings, axis=1)[:, :width] % 2 == 1


def _boundary_loops(mask: np.ndarray) -> List[List[tuple]]:
    """The pixel-edge outlines of a mask as closed vertex loops.

    Every pixel side between the mask and the outside is a directed edge
    (the mask on its right in image coordinates); edges are chained into
    loops and straight runs merged, so each loop lists its corners.
    """
    pad = np.pad(mask, 1)
    inside = pad[1:-1, 1:-1]
    out_edges = {}
    # (neighbour outside, edge start, edge end) per side, as (x, y) offsets
    sides = ((~pad[:-2, 1:-1], (0, 0), (1, 0)),  # top: left to right
             (~pad[1:-1, 2:], (1, 0), (1, 1)),  # right: downwards
             (~pad[2:, 1:-1], (1, 1), (0, 1)),  # bottom: right to left
             (~pad[1:-1, :-2], (0, 1), (0, 0)))  # left: upwards
    for outside, start, end in sides:
        for i, j in zip(*np.nonzero(inside & outside)):
            out_edges.setdefault((j + start[0], i + start[1]), []).append(
                (j + end[0], i + end[1]))
    loops = []
    while out_edges:
        first = min(out_edges)  # top-left-most start: deterministic
        loop, vertex = [first], first
        while True:
            ends = out_edges[vertex]
            nxt = ends.pop()
            if not ends:
                del out_edges[vertex]
            if nxt == first and first not in out_edges:
                break
            loop.append(nxt)
            vertex = nxt
        loops.append(_corners(loop))
    return loops


def _corners(loop: List[tuple]) -> List[tuple]:
    """Drop the vertices where a closed loop goes straight on."""
    corners = []
    for k, (x, y) in enumerate(loop):
        px, py = loop[k - 1]
        nx, ny = loop[(k + 1) % len(loop)]
        if (x - px, y - py) != (0, 0) and (
                (x - px) * (ny - y) - (y - py) * (nx - x) != 0):
            corners.append((x, y))
    return corners


def mask_to_polygons(mask: np.ndarray) -> List[List[int]]:
    """Polygons that :func:`polygon_to_mask` turns back into ``mask``.

    One polygon per 4-connected part, tracing its outline along pixel
    edges (integer corners). The outlines of its holes are joined to the
    outer one by a bridge walked there and back, which the even-odd rule
    does not count, so holes stay holes.

    Args:
        mask (np.ndarray): bool or 0/1 (H, W).

    Returns:
        list[list[int]]: COCO polygons ``[x1, y1, x2, y2, ...]``.
    """
    parts, num = ndimage.label(np.asarray(mask, dtype=bool))
    polygons = []
    for part in range(1, num + 1):
        outer, *holes = _boundary_loops(parts == part)
        points = list(outer)
        for hole in holes:
            points += [outer[0]] + hole + [hole[0]]
        if holes:
            points.append(outer[0])
        polygons.append([int(v) for point in points for v in point])
    return polygons
