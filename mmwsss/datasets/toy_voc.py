"""A synthetic dataset in the PASCAL VOC layout, for tests and demos.

Six shape classes (:data:`TOY_CLASSES`), 1-3 objects per image with random
size, rotation, colour and a low-contrast texture, so that only the shape
tells the class; a smooth background with light clutter (small blobs and
thin lines).

Layout written by :func:`make_toy_voc` (ids ``toy_000000``, ...; the first
``num_train`` ids are train, the rest val)::

    JPEGImages/<id>.jpg            RGB images
    SegmentationClass/<id>.png     palette PNGs: 0 bg, 1..6 classes, 255 ring
    Annotations/<id>.xml           VOC XML, box = tight box of the visible
                                   mask, 1-based like VOC
    ImageSets/Segmentation/{train,val}.txt
    cls_labels.txt                 <id> <idx> ... (0-based, no background)
    classes.txt                    the 6 class names, one per line
    toyvoc.json                    manifest: generator arguments, complete

Use the datasets with ``metainfo=dict(classes=TOY_CLASSES)``.
"""
import os.path as osp
from typing import List, Optional, Tuple

import numpy as np
from mmengine.utils import ProgressBar

from mmwsss import fileio
from mmwsss.utils import InvalidInputError
from .toy_output import ToyOutput

TOY_CLASSES = ('disc', 'square', 'triangle', 'cross', 'ring', 'star')
TOY_VERSION = 1  # bump when the rendering changes, so caches regenerate
_NUM_OBJECTS_P = (0.35, 0.45, 0.20)  # 1, 2 or 3 objects: 1.85 on average
_RADIUS = (0.11, 0.26)  # object radius as a fraction of the image side
_MIN_VISIBLE = 0.5  # fraction of an object that must stay unoccluded


def _upsample(grid: np.ndarray, size: int) -> np.ndarray:
    """Bilinearly upsample a (g, g, C) grid to (size, size, C)."""
    cells = grid.shape[0]
    pos = np.linspace(0, cells - 1, size)
    low = np.minimum(pos.astype(int), cells - 2)
    frac = pos - low
    weights = np.zeros((size, cells))
    weights[np.arange(size), low] = 1 - frac
    weights[np.arange(size), low + 1] = frac
    return weights @ np.tensordot(weights, grid, axes=(1, 0))


def _shape(label: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Mask of shape ``label`` in local coordinates (radius about 1)."""
    rho = np.hypot(u, v)
    if label == 0:  # disc
        return rho <= 1
    if label == 1:  # square
        return np.maximum(np.abs(u), np.abs(v)) <= 0.8
    if label == 2:  # equilateral triangle, circumradius 1.2
        angles = np.pi / 2 + 2 * np.pi * np.arange(3) / 3
        return np.all([u * np.cos(a) + v * np.sin(a) <= 0.6 for a in angles],
                      axis=0)
    if label == 3:  # cross
        au, av = np.abs(u), np.abs(v)
        return ((au <= 0.3) & (av <= 0.95)) | ((av <= 0.3) & (au <= 0.95))
    if label == 4:  # ring
        return (rho >= 0.55) & (rho <= 1)
    # five-pointed star: outer radius 1.1, inner 0.5; polar edge equation
    outer, inner, half = 1.1, 0.5, np.pi / 5
    phi = np.mod(np.arctan2(v, u), 2 * half)
    phi = half - np.abs(phi - half)  # angle from the nearest tip
    edge = outer * inner * np.sin(half) / (
        inner * np.sin(half) * np.cos(phi) +
        (outer - inner * np.cos(half)) * np.sin(phi))
    return rho <= edge


def _texture(rng: np.random.Generator, u: np.ndarray,
             v: np.ndarray) -> np.ndarray:
    """A random texture in [-1, 1]: stripes, checker, blotches or noise."""
    kind = rng.integers(4)
    period = rng.uniform(3.0, 8.0)
    if kind == 0:
        return np.sign(np.sin(2 * np.pi * u / period + rng.uniform(0, 7)))
    if kind == 1:
        return np.sign(np.sin(np.pi * u / period) * np.sin(np.pi * v / period))
    if kind == 2:
        blot = _upsample(rng.uniform(-1, 1, (5, 5, 1)), u.shape[0])[..., 0]
        return blot / max(np.abs(blot).max(), 1e-6)
    return rng.uniform(-1, 1, u.shape)


def _background(rng: np.random.Generator, xx: np.ndarray,
                yy: np.ndarray) -> np.ndarray:
    """Smooth random colour field with a few small blobs and thin lines."""
    size = xx.shape[0]
    img = _upsample(rng.uniform(0, 255, (3, 3, 3)), size)
    for _ in range(rng.integers(2, 6)):
        cx, cy = rng.uniform(0, size, 2)
        ax, ay = rng.uniform(0.02, 0.06, 2) * size
        theta = rng.uniform(0, np.pi)
        du, dv = xx - cx, yy - cy
        u = (du * np.cos(theta) + dv * np.sin(theta)) / ax
        v = (-du * np.sin(theta) + dv * np.cos(theta)) / ay
        img[u * u + v * v <= 1] = rng.uniform(0, 255, 3)
    for _ in range(rng.integers(1, 3)):
        p0, p1 = rng.uniform(0, size, (2, 2))
        d = p1 - p0
        t = np.clip(
            ((xx - p0[0]) * d[0] + (yy - p0[1]) * d[1]) / max(d @ d, 1e-6), 0,
            1)
        dist = np.hypot(xx - p0[0] - t * d[0], yy - p0[1] - t * d[1])
        img[dist <= rng.uniform(0.5, 0.9)] = rng.uniform(0, 255, 3)
    return img


def _boundary(label: np.ndarray) -> np.ndarray:
    """Pixels with a 4-neighbour of another label (a 2 px ring per edge)."""
    pad = np.pad(label, 1, mode='edge')
    return ((pad[1:-1, :-2] != label) | (pad[1:-1, 2:] != label)
            | (pad[:-2, 1:-1] != label) | (pad[2:, 1:-1] != label))


def render_toy_instances(
        rng: np.random.Generator,
        size: int = 96,
        num_objects: Optional[int] = None
) -> Tuple[np.ndarray, np.ndarray, List[int]]:
    """Render one toy image and which object owns each pixel.

    Objects are drawn bottom to top (the top one wins where they overlap);
    a new object is placed only where it leaves every earlier object at
    least half visible (20 tries), so the first object is always placed.

    Args:
        rng (np.random.Generator): the random source.
        size (int): image side in pixels. Default: 96.
        num_objects (int, optional): objects to place; 0 draws only the
            background. Default: 1, 2 or 3 at random (1.85 on average).

    Returns:
        tuple: image uint8 (size, size, 3); owner map int64 (size, size),
        -1 for background and ``k`` where the ``k``-th object (bottom
        first) is visible; the 0-based labels of the objects.
    """
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    img = _background(rng, xx, yy)
    owner = np.full((size, size), -1)
    labels, areas = [], []
    num = (rng.choice(3, p=_NUM_OBJECTS_P) + 1
           if num_objects is None else num_objects)
    for _ in range(20):
        if len(labels) == num:
            break
        label = int(rng.integers(len(TOY_CLASSES)))
        radius = rng.uniform(*_RADIUS) * size
        cx, cy = rng.uniform(0.7 * radius, size - 0.7 * radius, 2)
        theta = rng.uniform(0, 2 * np.pi)
        du, dv = xx - cx, yy - cy
        u = du * np.cos(theta) + dv * np.sin(theta)
        v = -du * np.sin(theta) + dv * np.cos(theta)
        mask = _shape(label, u / radius, v / radius)
        if not all(
                np.count_nonzero((owner == k) & ~mask) >= _MIN_VISIBLE * area
                for k, area in enumerate(areas)):
            continue
        under = img[mask].mean(0)
        for _ in range(8):  # avoid objects that vanish into the background
            colour = rng.uniform(0, 255, 3)
            if np.abs(colour - under).sum() >= 90:
                break
        direction = rng.normal(size=3)
        direction /= np.linalg.norm(direction)
        amplitude = rng.uniform(10, 25)
        texture = _texture(rng, u, v)[mask]
        img[mask] = colour + amplitude * texture[:, None] * direction
        owner[mask] = len(labels)
        labels.append(label)
        areas.append(np.count_nonzero(mask))
    img += rng.normal(0, 2.0, img.shape)
    return np.clip(img, 0, 255).round().astype(np.uint8), owner, labels


def render_toy_sample(
        rng: np.random.Generator,
        size: int = 96,
        boundary: bool = True) -> Tuple[np.ndarray, np.ndarray, List[dict]]:
    """Render one toy image with its label map and objects
    (:func:`render_toy_instances`; every image has 1-3 objects).

    Args:
        rng (np.random.Generator): the random source.
        size (int): image side in pixels. Default: 96.
        boundary (bool): set a thin ring (255) on label edges, like VOC's
            void boundary. Default: True.

    Returns:
        tuple: image uint8 (size, size, 3); label map uint8 (size, size)
        (0 bg, label + 1, 255 ring); objects, bottom first, each a dict with
        ``label`` (0-based), ``bbox`` (1-based inclusive x1, y1, x2, y2 of
        the visible mask) and ``truncated`` (touches the image border).
    """
    img, owner, labels = render_toy_instances(rng, size)
    seg = np.where(owner >= 0, np.take(np.array(labels) + 1, owner), 0)
    objects = []
    for k, label in enumerate(labels):
        ys, xs = np.nonzero(owner == k)
        objects.append(
            dict(
                label=label,
                bbox=(int(xs.min()) + 1, int(ys.min()) + 1, int(xs.max()) + 1,
                      int(ys.max()) + 1),
                truncated=bool(xs.min() == 0 or ys.min() == 0
                               or xs.max() == size - 1
                               or ys.max() == size - 1)))
    if boundary:
        seg[_boundary(seg)] = fileio.IGNORE_INDEX
    return img, seg.astype(np.uint8), objects


def _xml(img_id: str, size: int, objects: List[dict]) -> str:
    parts = [
        '<annotation>\n\t<folder>toyvoc</folder>\n'
        f'\t<filename>{img_id}.jpg</filename>\n'
        f'\t<size>\n\t\t<width>{size}</width>\n\t\t<height>{size}</height>\n'
        '\t\t<depth>3</depth>\n\t</size>\n\t<segmented>1</segmented>\n'
    ]
    for obj in objects:
        x1, y1, x2, y2 = obj['bbox']
        parts.append(
            f'\t<object>\n\t\t<name>{TOY_CLASSES[obj["label"]]}</name>\n'
            '\t\t<pose>Unspecified</pose>\n'
            f'\t\t<truncated>{int(obj["truncated"])}</truncated>\n'
            '\t\t<difficult>0</difficult>\n\t\t<bndbox>\n'
            f'\t\t\t<xmin>{x1}</xmin>\n\t\t\t<ymin>{y1}</ymin>\n'
            f'\t\t\t<xmax>{x2}</xmax>\n\t\t\t<ymax>{y2}</ymax>\n'
            '\t\t</bndbox>\n\t</object>\n')
    parts.append('</annotation>\n')
    return ''.join(parts)


def make_toy_voc(out_dir: str,
                 seed: int = 0,
                 num_train: int = 2000,
                 num_val: int = 300,
                 size: int = 96,
                 boundary: bool = True,
                 overwrite: bool = False,
                 progress: bool = False) -> str:
    """Generate the toy VOC dataset (deterministic, resumable).

    Image ``i`` is drawn from ``np.random.default_rng([seed, i])``, so equal
    arguments give byte-identical files. ``toyvoc.json`` records the
    arguments: a complete set with equal arguments is left as it is, an
    interrupted one is resumed (existing files are kept; every file is
    written atomically). Different arguments into a non-empty folder are
    refused unless ``overwrite``, which rewrites every file (files of ids no
    longer generated stay, unlisted).

    Args:
        out_dir (str): output folder, e.g. ``data/toyvoc``.
        seed (int): random seed. Default: 0.
        num_train (int): number of train images. Default: 2000.
        num_val (int): number of val images. Default: 300.
        size (int): image side in pixels. Default: 96.
        boundary (bool): 255 ring on label edges. Default: True.
        overwrite (bool): regenerate into a folder holding other data.
            Default: False.
        progress (bool): show a progress bar. Default: False.

    Returns:
        str: ``out_dir``.
    """
    if num_train < 1 or num_val < 0 or size < 32:
        raise InvalidInputError(
            f'make_toy_voc needs num_train >= 1, num_val >= 0 and size >= 32 '
            f'(--num-train, --num-val, --size), got {num_train}, '
            f'{num_val}, {size}')
    args = dict(
        version=TOY_VERSION,
        seed=seed,
        num_train=num_train,
        num_val=num_val,
        size=size,
        boundary=boundary)
    out = ToyOutput.start('Toy VOC', out_dir, 'toyvoc.json', args, overwrite)
    if out is None:
        return out_dir
    ids = [f'toy_{i:06d}' for i in range(num_train + num_val)]
    cls_labels = {}
    bar = ProgressBar(len(ids)) if progress else None
    for i, img_id in enumerate(ids):
        img, seg, objects = render_toy_sample(
            np.random.default_rng([seed, i]), size, boundary)
        cls_labels[img_id] = {obj['label'] for obj in objects}
        out.write_jpeg(osp.join('JPEGImages', f'{img_id}.jpg'), img)
        out.write(
            osp.join('SegmentationClass', f'{img_id}.png'),
            fileio.encode_label_png(seg))
        out.write(
            osp.join('Annotations', f'{img_id}.xml'),
            _xml(img_id, size, objects).encode())
        if bar is not None:
            bar.update()
    split_dir = osp.join('ImageSets', 'Segmentation')
    for split, split_ids in (('train', ids[:num_train]), ('val',
                                                          ids[num_train:])):
        out.write(
            osp.join(split_dir, f'{split}.txt'),
            ''.join(f'{i}\n' for i in split_ids).encode(),
            keep=False)
    out.write(
        'cls_labels.txt',
        fileio.format_cls_labels(cls_labels).encode(),
        keep=False)
    out.write(
        'classes.txt', ''.join(f'{c}\n' for c in TOY_CLASSES).encode(),
        keep=False)
    out.finish()
    return out_dir
