"""The Gaussian-CAM experiment of the ISL/FSL supplement (S.1), as a library.

Spec: ``specs/isl_fsl.md`` §3 (protocol), §1.2 (FSL), §2.7 (contour F).
Without training a network, it measures how well the feature similarity loss
(FSL) alone pulls a crude CAM onto the object boundary, and how that depends
on the FSL's μ and σ:

1. pick single-object images (one per class, at random) from a VOC-layout
   folder — or single objects of any image (``per_object``);
2. shrink image and mask to a tenth of their size (≈ 50×38 for VOC, like the
   56×56 CAM of a 448 crop): image bilinear (PIL, antialiased), mask nearest;
3. fit a Gaussian to the object's mask — mean and per-axis variance of the
   foreground pixel coordinates, unnormalised (peak 1) — and take the logits
   ``s = 2G - 1``, foreground where ``s > 0``;
4. minimise the exact (untruncated) FSL of ``Y = sigmoid(s)`` with the image
   as guidance, with respect to ``s`` itself (Adam, lr 0.05, 400 steps);
5. score ``s > 0`` before and after against the object mask: J = IoU,
   F = contour F-measure with tolerance ⌈0.008·diagonal⌉, J&F = (J + F)/2,
   averaged over the samples;
6. repeat 4–5 over a μ grid at σ = 5 and a σ grid at μ = 2.5.

``tools/analysis/fsl_gaussian_cams.py`` is the command-line front end.
"""
import csv
import io
import logging
import math
import os
import os.path as osp
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.logging import print_log
from mmengine.utils import ProgressBar
from PIL import Image
from scipy import ndimage

from mmwsss.datasets import voc_io
from mmwsss.evaluation.functional import (boundary_counts,
                                          boundary_f_from_counts,
                                          confusion_matrix, iou_from_confusion)
from mmwsss.models.losses.feature_similarity_loss import \
    feature_similarity_loss
from mmwsss.utils import InvalidInputError
from mmwsss.utils.atomic_io import atomic_write, atomic_write_json

IGNORE = voc_io.IGNORE_INDEX
#: defaults of spec §3 (the steps, lr and Y = sigmoid(s) are the spec's
#: choices; the supplement does not state them)
DEFAULT_SCALE = 0.1
DEFAULT_STEPS = 400
DEFAULT_LR = 0.05
DEFAULT_MU = 2.5
DEFAULT_SIGMA = 5.0
DEFAULT_MUS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)
DEFAULT_SIGMAS = (1.0, 2.5, 5.0, 7.5, 10.0, 12.5, 15.0)
BOUND_TH = 0.008  # contour tolerance as a fraction of the diagonal (§2.7)
SPLIT_ALL = 'all'  # pseudo split: every mask of SegmentationClass


@dataclass
class GaussianCamSample:
    """One object at the working resolution.

    Attributes:
        sample_id (str): ``<img_id>`` (single-object image) or
            ``<img_id>#<k>`` (k-th object of the image, ``per_object``).
        img_id (str): the image's file stem.
        label (int): 0-based class index.
        class_name (str): the class name.
        gt (np.ndarray): uint8 (h, w): 1 object, 0 background (other objects
            included), 255 void.
        image (np.ndarray, optional): float32 (h, w, 3) RGB in [0, 1]; loaded
            by :func:`load_sample_images` after the selection.
    """
    sample_id: str
    img_id: str
    label: int
    class_name: str
    gt: np.ndarray
    image: Optional[np.ndarray] = field(default=None, repr=False)


# --------------------------------------------------------------- Gaussian CAM
def fit_gaussian(mask: np.ndarray) -> Tuple[float, float, float, float]:
    """Mean and per-axis variance of the foreground pixel coordinates.

    Args:
        mask (np.ndarray): (h, w) bool, or a label map whose value 1 is the
            object (0 background, 255 void).

    Returns:
        tuple: ``(m_r, m_c, v_r, v_c)``: mean row, mean column and the
        population variances (ddof = 0) of the rows and columns, in pixels.
    """
    mask = np.asarray(mask)
    fg = mask if mask.dtype == bool else mask == 1
    rows, cols = np.nonzero(fg)
    if rows.size == 0:
        raise ValueError('the mask has no foreground pixel')
    return (float(rows.mean()), float(cols.mean()), float(rows.var()),
            float(cols.var()))


def gaussian_cam(mask: np.ndarray) -> np.ndarray:
    """Unnormalised Gaussian fitted to a mask (spec §3.3).

    ``G(i, j) = exp(-½[(i - m_r)²/v_r + (j - m_c)²/v_c])`` with the
    statistics of :func:`fit_gaussian`: peak 1 at the mask's centroid (a
    normalised density would stay below ½ and ``2G - 1`` below 0).

    Args:
        mask (np.ndarray): see :func:`fit_gaussian`; the foreground must
            span at least two rows and two columns.

    Returns:
        np.ndarray: float64 (h, w) in (0, 1].
    """
    m_r, m_c, v_r, v_c = fit_gaussian(mask)
    if v_r <= 0 or v_c <= 0:
        raise ValueError(f'the mask foreground is degenerate (row variance '
                         f'{v_r}, column variance {v_c}); a Gaussian needs '
                         'at least two rows and two columns')
    h, w = np.shape(mask)
    rows = (np.arange(h, dtype=np.float64) - m_r)**2 / v_r
    cols = (np.arange(w, dtype=np.float64) - m_c)**2 / v_c
    return np.exp(-0.5 * (rows[:, None] + cols[None, :]))


def gaussian_logits(mask: np.ndarray) -> np.ndarray:
    """Single-channel logits ``s = 2G - 1`` in (-1, 1] (spec §3.4); the
    initial foreground ``s > 0`` is the ellipse of Mahalanobis² < 2 ln 2."""
    return 2 * gaussian_cam(mask) - 1


# -------------------------------------------------------------------- metrics
def score_mask(pred: np.ndarray,
               gt: np.ndarray,
               bound_th: float = BOUND_TH) -> Tuple[float, float]:
    """J and F of one binary prediction against one object (spec §3.6).

    J = IoU of the object, void (255) left out as in VOC mIoU (§2.3); F =
    contour F-measure of §2.7 (void counted as background, tolerance
    ``⌈bound_th · √(h² + w²)⌉`` px of this map). Both through
    :mod:`mmwsss.evaluation.functional`.

    Args:
        pred (np.ndarray): (h, w) bool or 0/1 prediction.
        gt (np.ndarray): (h, w) uint8: 1 object, 0 background, 255 void.
        bound_th (float): contour tolerance. Default: 0.008.

    Returns:
        tuple: ``(J, F)`` fractions in [0, 1].
    """
    pred = np.asarray(pred).astype(np.uint8)
    iou = iou_from_confusion(confusion_matrix(pred, gt, 2, IGNORE))[1]
    counts = boundary_counts(pred, gt, 2, bound_th, IGNORE)
    fscore = boundary_f_from_counts(counts[1:])[2][0]
    return float(np.nan_to_num(iou)), float(fscore)


def summarise(scores: Sequence[Tuple[float, float]]) -> Dict[str, float]:
    """Means over the samples: ``J``, ``F`` and ``JF = (J + F) / 2``."""
    scores = np.asarray(scores, np.float64).reshape(-1, 2)
    j, f = scores.mean(0) if len(scores) else (math.nan, math.nan)
    return dict(J=float(j), F=float(f), JF=float((j + f) / 2))


# --------------------------------------------------------------- optimisation
def _groups(samples: Sequence[GaussianCamSample]) -> List[List[int]]:
    """Indices of the samples grouped by working size (batched together)."""
    groups: Dict[Tuple[int, int], List[int]] = {}
    for i, sample in enumerate(samples):
        groups.setdefault(sample.gt.shape, []).append(i)
    return list(groups.values())


def optimise_fsl(logits: torch.Tensor,
                 images: torch.Tensor,
                 mu: float = DEFAULT_MU,
                 sigma: Optional[float] = DEFAULT_SIGMA,
                 steps: int = DEFAULT_STEPS,
                 lr: float = DEFAULT_LR) -> Tuple[torch.Tensor, float]:
    """Minimise the FSL directly over single-channel logits (spec §3.5).

    The prediction map is ``Y = sigmoid(s)`` (one channel), the guidance
    image the RGB image at the same size, the FSL exact (untruncated,
    :func:`feature_similarity_loss`); Adam over ``s``. The batch loss is
    ``N`` times the FSL (which averages over the images), i.e. the sum of
    the per-image losses: Adam being elementwise, every image follows the
    same path as if it were optimised alone.

    Args:
        logits (Tensor): (N, h, w) initial logits (not modified).
        images (Tensor): (N, 3, h, w) RGB in [0, 1], same device.
        mu (float): FSL μ. Default: 2.5.
        sigma (float, optional): FSL σ in pixels, None for the constant
            weight 1/(h·w). Default: 5.0.
        steps (int): Adam steps. Default: 400.
        lr (float): Adam learning rate. Default: 0.05.

    Returns:
        tuple: the optimised logits (N, h, w), detached, and the final
        per-image mean FSL (float).
    """
    if steps < 0:
        raise ValueError(f'steps must be >= 0, got {steps}')
    s = logits.detach().clone().float()[:, None].requires_grad_(True)
    images = images.float()
    num = s.shape[0]
    optimizer = torch.optim.Adam([s], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=True)
        loss = num * feature_similarity_loss(
            torch.sigmoid(s), images, mu=mu, sigma=sigma)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        final = feature_similarity_loss(
            torch.sigmoid(s), images, mu=mu, sigma=sigma)
    return s.detach()[:, 0], float(final)


def run_setting(samples: Sequence[GaussianCamSample],
                mu: float = DEFAULT_MU,
                sigma: Optional[float] = DEFAULT_SIGMA,
                steps: int = DEFAULT_STEPS,
                lr: float = DEFAULT_LR,
                device: str = 'cpu',
                bound_th: float = BOUND_TH,
                return_logits: bool = False) -> dict:
    """Optimise every sample's Gaussian CAM for one (μ, σ) and score it.

    Samples of the same working size are optimised as one batch.

    Args:
        samples (Sequence[GaussianCamSample]): samples with images.
        mu, sigma, steps, lr: see :func:`optimise_fsl`.
        device (str): torch device. Default: ``'cpu'``.
        bound_th (float): contour tolerance. Default: 0.008.
        return_logits (bool): also return the logits (key ``logits``, a
            list of float32 (h, w) arrays). Default: False.

    Returns:
        dict: ``mu``, ``sigma``, ``steps``, ``lr``; ``J``, ``F``, ``JF``
        (means, fractions); ``per_sample``: a list of ``(J, F)``;
        ``loss``: mean final FSL over the samples.
    """
    _check_samples(samples)
    scores: List[Tuple[float, float]] = [(math.nan, math.nan)] * len(samples)
    logits_out: List[Optional[np.ndarray]] = [None] * len(samples)
    loss_sum = 0.0
    for group in _groups(samples):
        init = torch.from_numpy(
            np.stack([gaussian_logits(samples[i].gt)
                      for i in group])).float().to(device)
        images = torch.from_numpy(
            np.stack([samples[i].image for i in group])).permute(
                0, 3, 1, 2).float().to(device)
        final, loss = optimise_fsl(init, images, mu, sigma, steps, lr)
        loss_sum += loss * len(group)
        final = final.cpu().numpy()
        for k, i in enumerate(group):
            scores[i] = score_mask(final[k] > 0, samples[i].gt, bound_th)
            logits_out[i] = final[k]
    out = dict(
        mu=float(mu),
        sigma=None if sigma is None else float(sigma),
        steps=int(steps),
        lr=float(lr),
        per_sample=scores,
        loss=loss_sum / len(samples),
        **summarise(scores))
    if return_logits:
        out['logits'] = logits_out
    return out


def initial_scores(samples: Sequence[GaussianCamSample],
                   bound_th: float = BOUND_TH) -> dict:
    """J, F, J&F of the Gaussian CAMs before any optimisation."""
    scores = [
        score_mask(gaussian_logits(s.gt) > 0, s.gt, bound_th) for s in samples
    ]
    return dict(per_sample=scores, **summarise(scores))


def sweep_settings(
    mus: Sequence[float] = DEFAULT_MUS,
    sigmas: Sequence[Optional[float]] = DEFAULT_SIGMAS,
    base_mu: float = DEFAULT_MU,
    base_sigma: Optional[float] = DEFAULT_SIGMA
) -> List[Tuple[str, float, Optional[float]]]:
    """The (sweep, μ, σ) points: μ over ``mus`` at ``base_sigma``, then σ
    over ``sigmas`` at ``base_mu`` (spec §3.7). The base point (μ, σ) =
    (2.5, 5) is in both sweeps when both grids hold it."""
    return ([('mu', float(m), base_sigma) for m in mus] +
            [('sigma', base_mu, None if s is None else float(s))
             for s in sigmas])


def run_sweep(samples: Sequence[GaussianCamSample],
              mus: Sequence[float] = DEFAULT_MUS,
              sigmas: Sequence[Optional[float]] = DEFAULT_SIGMAS,
              base_mu: float = DEFAULT_MU,
              base_sigma: Optional[float] = DEFAULT_SIGMA,
              steps: int = DEFAULT_STEPS,
              lr: float = DEFAULT_LR,
              device: str = 'cpu',
              bound_th: float = BOUND_TH,
              progress: bool = True) -> dict:
    """The whole experiment: scores before, then after optimisation for
    every point of :func:`sweep_settings` (each distinct (μ, σ) once).

    Returns:
        dict: ``initial`` (:func:`initial_scores`), ``rows`` (one dict per
        sweep point: ``sweep`` ('mu' or 'sigma') plus the keys of
        :func:`run_setting`), ``base_mu``, ``base_sigma``, ``bound_th``.
    """
    _check_samples(samples)
    points = sweep_settings(mus, sigmas, base_mu, base_sigma)
    if not points:
        raise ValueError('empty sweep: give at least one mu or sigma')
    distinct = list(dict.fromkeys((m, s) for _, m, s in points))
    bar = ProgressBar(len(distinct), file=sys.stderr) if progress else None
    results = {}
    for mu, sigma in distinct:
        results[mu, sigma] = run_setting(samples, mu, sigma, steps, lr,
                                         device, bound_th)
        if bar is not None:
            bar.update()
    if bar is not None:
        sys.stderr.write('\n')
    rows = [dict(sweep=name, **results[mu, sigma])
            for name, mu, sigma in points]
    return dict(
        initial=initial_scores(samples, bound_th),
        rows=rows,
        base_mu=float(base_mu),
        base_sigma=base_sigma,
        bound_th=bound_th)


def _check_samples(samples: Sequence[GaussianCamSample]) -> None:
    if not len(samples):
        raise ValueError('no samples')
    for s in samples:
        if s.image is None:
            raise ValueError(f'sample {s.sample_id} has no image; call '
                             'load_sample_images() first')
        if s.image.shape[:2] != s.gt.shape:
            raise ValueError(f'sample {s.sample_id}: image {s.image.shape} '
                             f'and mask {s.gt.shape} differ in size')


# ------------------------------------------------------------------- datasets
def working_size(height: int, width: int,
                 scale: float = DEFAULT_SCALE) -> Tuple[int, int]:
    """(h, w) = round half up of (H, W)·scale, at least 2 (500×375 at 0.1 →
    (38, 50), spec §3.2)."""
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
        return voc_io.VOC_CLASSES
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
    return voc_io.read_split(
        osp.join(root, 'ImageSets', 'Segmentation', f'{split}.txt'),
        fix=f'Pass --split {SPLIT_ALL} to use every mask of '
        'SegmentationClass. ' + voc_io.VOC_HINT)


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
        inst = voc_io.read_label_png(inst_path, 254)
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
        for obj in voc_io.parse_voc_xml(xml_path, class_to_idx)['objects']:
            per_class[obj['label']] = per_class.get(obj['label'], 0) + 1
    out = []
    for label in voc_io.labels_from_mask(class_mask):
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
    voc_io.require_dir(
        root, 'Data folder', 'Give a VOC-layout folder (JPEGImages/, '
        'SegmentationClass/, ImageSets/Segmentation/<split>.txt). ' +
        voc_io.VOC_HINT)
    for sub in ('JPEGImages', 'SegmentationClass'):
        voc_io.require_dir(
            osp.join(root, sub), f'{sub} folder of', voc_io.VOC_HINT)
    classes = tuple(classes or read_classes(root))
    class_to_idx = {name: i for i, name in enumerate(classes)}
    ids = list_ids(root, split)
    bar = ProgressBar(len(ids), file=sys.stderr) if progress else None
    out = []
    for img_id in ids:
        class_mask = voc_io.read_label_png(
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
        rgb = voc_io.read_rgb(
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


def synthetic_sample(kind: str = 'mallet', seed: int = 0) -> GaussianCamSample:
    """A synthetic scene with a known object (spec §3, "synthetic stand-in").

    ``'mallet'``: 38×50, background ``(0.35 + 0.15·col/50, 0.55 -
    0.10·row/38, 0.40)``, object = the ellipse ((row-20)/9)² +
    ((col-18)/11)² ≤ 1 plus the bar rows 16-22 × cols 18-41, colour
    (0.80, 0.25, 0.20); ``'disc'``: 24×24, a bright (0.9) disc of radius 7
    centred at (11, 13) on a dark (0.1) background. Both with i.i.d.
    Gaussian noise of std 0.03, clipped to [0, 1].
    """
    rng = np.random.default_rng(seed)
    if kind == 'mallet':
        h, w = 38, 50
        row, col = np.mgrid[0:h, 0:w].astype(np.float64)
        image = np.stack([
            0.35 + 0.15 * col / 50, 0.55 - 0.10 * row / 38,
            np.full((h, w), 0.40)
        ], -1)
        obj = (((row - 20) / 9)**2 + ((col - 18) / 11)**2 <= 1) | (
            (row >= 16) & (row <= 22) & (col >= 18) & (col <= 41))
        image[obj] = (0.80, 0.25, 0.20)
    elif kind == 'disc':
        h, w = 24, 24
        row, col = np.mgrid[0:h, 0:w].astype(np.float64)
        obj = (row - 11)**2 + (col - 13)**2 <= 49
        image = np.where(obj[..., None], 0.9, 0.1) * np.ones(3)
    else:
        raise ValueError(f'kind must be "mallet" or "disc", got {kind!r}')
    image = np.clip(image + rng.normal(0, 0.03, image.shape), 0, 1)
    return GaussianCamSample(
        sample_id=f'synthetic_{kind}',
        img_id=f'synthetic_{kind}',
        label=0,
        class_name=kind,
        gt=obj.astype(np.uint8),
        image=image.astype(np.float32))


# -------------------------------------------------------------------- reports
def _fmt_sigma(sigma: Optional[float]) -> str:
    return 'none' if sigma is None else f'{sigma:g}'


def markdown_table(result: dict) -> str:
    """The sweep as a markdown table, scores in percent; the first row is
    the Gaussian CAM before optimisation, ΔJ&F is against it."""
    init = result['initial']
    lines = [
        '| sweep | μ | σ | J | F | J&F | ΔJ&F |',
        '|---|---|---|---|---|---|---|',
        f'| Gaussian CAM (before) | – | – | {100 * init["J"]:.2f} | '
        f'{100 * init["F"]:.2f} | {100 * init["JF"]:.2f} | – |',
    ]
    for row in result['rows']:
        lines.append(
            f'| {row["sweep"]} | {row["mu"]:g} | {_fmt_sigma(row["sigma"])} '
            f'| {100 * row["J"]:.2f} | {100 * row["F"]:.2f} | '
            f'{100 * row["JF"]:.2f} | '
            f'{100 * (row["JF"] - init["JF"]):+.2f} |')
    return '\n'.join(lines) + '\n'


CSV_FIELDS = ('sweep', 'mu', 'sigma', 'steps', 'lr', 'J', 'F', 'JF', 'loss',
              'J_init', 'F_init', 'JF_init')


def csv_text(result: dict) -> str:
    """One line per sweep point (fractions, not percent), columns
    :data:`CSV_FIELDS`; σ = None is written as ``none``."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, CSV_FIELDS, lineterminator='\n')
    writer.writeheader()
    init = result['initial']
    for row in result['rows']:
        writer.writerow(
            dict({k: row[k]
                  for k in CSV_FIELDS[:9]},
                 sigma=_fmt_sigma(row['sigma']),
                 J_init=init['J'],
                 F_init=init['F'],
                 JF_init=init['JF']))
    return buf.getvalue()


def plot_sweep(result: dict, path: str) -> bool:
    """J, F and J&F against μ (at the base σ) and σ (at the base μ), the
    scores before optimisation dashed; written as PNG with matplotlib's Agg
    canvas. Returns False (and writes nothing) without matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return False
    init = result['initial']
    fig = Figure(figsize=(10, 4), dpi=100)
    FigureCanvasAgg(fig)
    base = dict(mu=result['base_mu'], sigma=result['base_sigma'])
    labels = ('μ (σ = {sigma})', 'σ (μ = {mu})')
    for ax, name, label in zip(fig.subplots(1, 2), ('mu', 'sigma'), labels):
        rows = [
            r for r in result['rows']
            if r['sweep'] == name and r[name] is not None
        ]
        rows.sort(key=lambda r: r[name])
        xs = [r[name] for r in rows]
        for key, title, colour in (('J', 'J', 'C0'), ('F', 'F', 'C1'),
                                   ('JF', 'J&F', 'C2')):
            ax.plot(xs, [100 * r[key] for r in rows], 'o-', color=colour,
                    label=title)
            ax.axhline(100 * init[key], color=colour, ls='--', lw=0.8)
        if base[name] is not None:
            ax.axvline(base[name], color='grey', ls=':', lw=0.8)
        ax.set_xlabel(label.format(mu=f'{base["mu"]:g}',
                                   sigma=_fmt_sigma(base['sigma'])))
        ax.set_ylabel('score (%); dashed: before')
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
        if not rows:
            ax.set_title('(no points)')
    fig.axes[0].legend(loc='best')
    fig.suptitle('FSL on Gaussian CAMs: scores after optimisation')
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format='png')
    atomic_write(path, buf.getvalue())
    return True


def json_report(result: dict,
                samples: Sequence[GaussianCamSample],
                settings: Optional[dict] = None) -> dict:
    """A JSON-able record: settings, samples and every score."""
    return dict(
        settings=settings or {},
        samples=[
            dict(
                sample_id=s.sample_id,
                img_id=s.img_id,
                label=s.label,
                class_name=s.class_name,
                size=list(s.gt.shape)) for s in samples
        ],
        **result)


def write_reports(result: dict,
                  samples: Sequence[GaussianCamSample],
                  out_dir: str,
                  settings: Optional[dict] = None) -> Dict[str, str]:
    """Write ``sweep.md``, ``sweep.csv``, ``sweep.json`` and ``sweep.png``
    (the PNG only with matplotlib) into ``out_dir``.

    Returns:
        dict: kind (``md``, ``csv``, ``json``, ``png``) → written path.
    """
    paths = {
        k: osp.join(out_dir, f'sweep.{k}')
        for k in ('md', 'csv', 'json', 'png')
    }
    atomic_write(paths['md'], markdown_table(result).encode())
    atomic_write(paths['csv'], csv_text(result).encode())
    atomic_write_json(paths['json'], json_report(result, samples, settings))
    if not plot_sweep(result, paths['png']):
        print_log(
            'matplotlib is not installed: no plot written (pip install '
            'matplotlib).',
            logger='current',
            level=logging.WARNING)
        del paths['png']
    return paths


__all__ = [
    'GaussianCamSample', 'fit_gaussian', 'gaussian_cam', 'gaussian_logits',
    'score_mask', 'summarise', 'optimise_fsl', 'run_setting',
    'initial_scores', 'sweep_settings', 'run_sweep', 'working_size',
    'resize_image', 'resize_mask', 'read_classes', 'list_ids',
    'object_masks', 'find_candidates', 'select_samples',
    'load_sample_images', 'prepare_samples', 'synthetic_sample',
    'markdown_table', 'csv_text', 'plot_sweep', 'json_report',
    'write_reports'
]
