"""Samples of a VOC-layout folder: single-object images (or single objects of
any image) at the working size, with their images."""
import logging
import math
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import print_log
from mmengine.utils import ProgressBar
from PIL import Image
from scipy import ndimage

from mmwsss import fileio
from mmwsss.datasets import VOC_CLASSES
from mmwsss.utils import InvalidInputError
from .sample import DEFAULT_SCALE, IGNORE, SPLIT_ALL, GaussianCamSample


def working_size(height: int, width: int,
                 scale: float = DEFAULT_SCALE) -> Tuple[int, int]:
    """(h, w) = round half up of (H, W)·scale, at least 2 (500×375 at 0.1 →
    (38, 50))."""
    if not scale > 0:
        raise ValueError(f'scale must be > 0, got {scale}')
    return (max(2, int(math.floor(height * scale + 0.5))),
            max(2, int(math.floor(width * scale + 0.5))))


def resize_image(image: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """uint8 (H, W, 3) RGB → float32 (h, w, 3) in [0, 1]; PIL bilinear,
    which widens its kernel when shrinking (area-like averaging)."""
    out = Image.fromarray(np.asarray(image, np.uint8)).resize(
        (size[1], size[0]), Image.BILINEAR)
    return np.asarray(out, np.float32) / 255.0


def resize_mask(mask: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """uint8 (H, W) label map → (h, w), nearest neighbour."""
    out = Image.fromarray(np.asarray(mask, np.uint8)).resize(
        (size[1], size[0]), Image.NEAREST)
    return np.asarray(out, np.uint8)


def read_classes(root: str) -> Tuple[str, ...]:
    """``<root>/classes.txt`` (one name a line, e.g. the toy set) if it
    exists, else the 20 VOC classes."""
    path = osp.join(root, 'classes.txt')
    if not osp.isfile(path):
        return VOC_CLASSES
    with open(path, encoding='utf-8') as f:
        names = tuple(line.strip() for line in f if line.strip())
    if not names:
        raise InvalidInputError(f'{path} lists no class name.')
    return names


def list_ids(root: str, split: str) -> List[str]:
    """Ids of ``ImageSets/Segmentation/<split>.txt``; with ``split='all'``
    every ``SegmentationClass/*.png``."""
    if split == SPLIT_ALL:
        folder = osp.join(root, 'SegmentationClass')
        ids = sorted(
            osp.splitext(n)[0] for n in os.listdir(folder)
            if n.endswith('.png'))
        if not ids:
            raise InvalidInputError(f'{folder} holds no PNG mask.')
        return ids
    return fileio.read_split(
        osp.join(root, 'ImageSets', 'Segmentation', f'{split}.txt'),
        fix=f'Pass --split {SPLIT_ALL} to use every mask of '
        'SegmentationClass. ' + fileio.VOC_HINT)


def object_masks(root: str, img_id: str, class_mask: np.ndarray,
                 class_to_idx: Dict[str, int]) -> List[Tuple[int, np.ndarray]]:
    """The objects (instances) of one image as (0-based class, bool mask).

    Instances come from, in this order:

    1. ``SegmentationObject/<id>.png`` (VOC instance masks) when it exists;
       an instance's class is the most frequent class-mask value under it;
    2. otherwise per class of the class mask: the whole class region when
       ``Annotations/<id>.xml`` lists exactly one object of that class, else
       the 8-connected components of the class region (same-class objects
       that touch merge, an object split by occlusion counts twice — which
       only makes the single-object test stricter).

    Args:
        root (str): the VOC-layout folder.
        img_id (str): the image id.
        class_mask (np.ndarray): its validated class label map.
        class_to_idx (dict): class name → 0-based index.

    Returns:
        list: ``(label, mask)`` pairs, in instance / class order.
    """
    inst_path = osp.join(root, 'SegmentationObject', f'{img_id}.png')
    if osp.isfile(inst_path):
        inst = fileio.read_label_png(inst_path, 254)
        if inst.shape != class_mask.shape:
            raise InvalidInputError(
                f'Instance mask {inst_path} is {inst.shape[::-1]} but the '
                f'class mask is {class_mask.shape[::-1]}. Re-extract VOC.')
        out = []
        for k in np.unique(inst):
            if k == 0 or k == IGNORE:
                continue
            region = inst == k
            values = class_mask[region]
            values = values[(values > 0) & (values != IGNORE)]
            if values.size:
                out.append((int(np.bincount(values).argmax()) - 1, region))
        return out
    xml_path = osp.join(root, 'Annotations', f'{img_id}.xml')
    per_class: Dict[int, int] = {}
    if osp.isfile(xml_path):
        for obj in fileio.parse_voc_xml(xml_path, class_to_idx)['objects']:
            per_class[obj['label']] = per_class.get(obj['label'], 0) + 1
    out = []
    for label in fileio.labels_from_mask(class_mask):
        region = class_mask == label + 1
        if per_class.get(label) == 1:
            out.append((label, region))
            continue
        parts, num = ndimage.label(region, structure=np.ones((3, 3)))
        out.extend((label, parts == k) for k in range(1, num + 1))
    return out


def _sample_gt(class_mask: np.ndarray, region: np.ndarray) -> np.ndarray:
    """1 on the object, 255 on void, 0 elsewhere (other objects too)."""
    gt = np.where(region, 1, 0).astype(np.uint8)
    gt[(class_mask == IGNORE) & ~region] = IGNORE
    return gt


def _usable(gt: np.ndarray, min_pixels: int) -> bool:
    """At least ``min_pixels`` object pixels spanning ≥ 2 rows and columns
    (otherwise the Gaussian's variances vanish)."""
    rows, cols = np.nonzero(gt == 1)
    return (rows.size >= max(min_pixels, 1) and np.ptp(rows) > 0
            and np.ptp(cols) > 0)


def find_candidates(root: str,
                    split: str = 'train',
                    per_object: bool = False,
                    scale: float = DEFAULT_SCALE,
                    min_pixels: int = 4,
                    classes: Optional[Sequence[str]] = None,
                    progress: bool = False) -> List[GaussianCamSample]:
    """Every usable sample of a VOC-layout folder (images not yet loaded).

    Default: the images that hold exactly one object (one instance of one
    class, see :func:`object_masks`); ``per_object``: every object of every
    image, the other objects counting as background. Masks are shrunk to
    :func:`working_size`; samples with fewer than ``min_pixels`` object
    pixels there (or a degenerate Gaussian) are dropped.

    Args:
        root (str): folder with ``JPEGImages/``, ``SegmentationClass/``,
            optionally ``SegmentationObject/`` and ``Annotations/``, and
            ``ImageSets/Segmentation/<split>.txt``.
        split (str): the id list; ``'all'`` = every mask. Default: 'train'.
        per_object (bool): objects of any image. Default: False.
        scale (float): working resolution factor. Default: 0.1.
        min_pixels (int): least object pixels at the working size.
        classes (Sequence[str], optional): class names; default
            :func:`read_classes`.
        progress (bool): show a progress bar (stderr).

    Returns:
        list[GaussianCamSample]: in id order.
    """
    fileio.require_dir(
        root, 'Data folder', 'Give a VOC-layout folder (JPEGImages/, '
        'SegmentationClass/, ImageSets/Segmentation/<split>.txt). ' +
        fileio.VOC_HINT)
    for sub in ('JPEGImages', 'SegmentationClass'):
        fileio.require_dir(
            osp.join(root, sub), f'{sub} folder of', fileio.VOC_HINT)
    classes = tuple(classes or read_classes(root))
    class_to_idx = {name: i for i, name in enumerate(classes)}
    ids = list_ids(root, split)
    bar = ProgressBar(len(ids), file=sys.stderr) if progress else None
    out = []
    for img_id in ids:
        class_mask = fileio.read_label_png(
            osp.join(root, 'SegmentationClass', f'{img_id}.png'),
            len(classes))
        objects = object_masks(root, img_id, class_mask, class_to_idx)
        if not per_object and len(objects) != 1:
            objects = []
        size = working_size(*class_mask.shape, scale)
        for k, (label, region) in enumerate(objects):
            gt = resize_mask(_sample_gt(class_mask, region), size)
            if not _usable(gt, min_pixels):
                continue
            out.append(
                GaussianCamSample(
                    sample_id=f'{img_id}#{k}' if per_object else img_id,
                    img_id=img_id,
                    label=label,
                    class_name=classes[label],
                    gt=gt))
        if bar is not None:
            bar.update()
    if bar is not None:
        sys.stderr.write('\n')
    return out


def select_samples(candidates: Sequence[GaussianCamSample],
                   num_per_class: int = 1,
                   seed: int = 0) -> List[GaussianCamSample]:
    """Pick ``num_per_class`` candidates of every class at random (all of
    them when ``num_per_class`` < 1 or a class has fewer); seeded
    (``np.random.default_rng(seed)``), in class order."""
    rng = np.random.default_rng(seed)
    by_class: Dict[int, List[GaussianCamSample]] = {}
    for c in candidates:
        by_class.setdefault(c.label, []).append(c)
    out = []
    for label in sorted(by_class):
        pool = sorted(by_class[label], key=lambda c: c.sample_id)
        if 0 < num_per_class < len(pool):
            picks = sorted(rng.choice(len(pool), num_per_class,
                                      replace=False))
            pool = [pool[i] for i in picks]
        out.extend(pool)
    return out


def load_sample_images(root: str, samples: Sequence[GaussianCamSample],
                       img_suffix: str = '.jpg') -> None:
    """Read each sample's image and shrink it to the sample's size."""
    for s in samples:
        rgb = fileio.read_rgb(
            osp.join(root, 'JPEGImages', f'{s.img_id}{img_suffix}'))
        s.image = resize_image(rgb, s.gt.shape)


def prepare_samples(root: str,
                    split: str = 'train',
                    per_object: bool = False,
                    num_per_class: int = 1,
                    seed: int = 0,
                    scale: float = DEFAULT_SCALE,
                    min_pixels: int = 4,
                    progress: bool = False) -> List[GaussianCamSample]:
    """:func:`find_candidates` → :func:`select_samples` →
    :func:`load_sample_images`; raises :class:`InvalidInputError` when no
    image qualifies and warns about classes without a sample."""
    classes = read_classes(root) if osp.isdir(root) else None
    candidates = find_candidates(root, split, per_object, scale, min_pixels,
                                 classes, progress)
    if not candidates:
        what = 'object' if per_object else 'single-object image'
        raise InvalidInputError(
            f'No usable {what} in split {split!r} of {root} (an object needs '
            f'>= {min_pixels} pixels at scale {scale}). '
            + ('' if per_object else 'Pass --per-object to use the objects '
               'of multi-object images, ') +
            'lower --min-pixels or raise --scale.')
    samples = select_samples(candidates, num_per_class, seed)
    missing = [c for i, c in enumerate(classes)
               if i not in {s.label for s in samples}]
    if missing:
        print_log(
            f'No usable sample for {len(missing)} class(es): {missing}.',
            logger='current',
            level=logging.WARNING)
    load_sample_images(root, samples)
    return samples
