"""AffinityNet's training labels from two CRF score maps, as plain
functions (the transforms of this package call them).

Ahn and Kwak, "Learning Pixel-level Semantic Affinity with Image-level
Supervision for Weakly Supervised Semantic Segmentation", CVPR 2018,
arXiv:1803.10464, https://github.com/jiwoon-ahn/psa (``voc12/data.py``,
``tool/imutils.py``, ``train_aff.py``); the same in AEFT
(https://github.com/KAIST-vilab/AEFT) and hfpl
(https://github.com/arvijj/hfpl).

Per training sample, with Q_lo / Q_hi the CRF posteriors ``[bg; present
classes]`` at the low / high background power:

1. L = [Q_lo; Q_hi] (2(K+1) channels); the image is colour-jittered before.
2. Joint crop into a zero container of crop x crop (per axis: a side longer
   than the crop gets image offset ~ randrange(len - crop + 1) and
   container offset 0, otherwise container offset ~ randrange(crop - len +
   1) and image offset 0; the column offsets are drawn before the row
   offsets). The image is still 0-255, so its padding is black.
3. Joint horizontal flip.
4. stride x stride block mean of L (mean first, argmax afterwards).
5. no_score = max over all 2(K+1) pooled channels < 1e-5; la / ha = argmax of
   the Q_lo / Q_hi halves (first index on ties).
6. label = la; label[la == 0] = 255; label[ha == 0] = 0;
   label[no_score] = 255. Values are positions in [bg, present classes],
   not class ids; 255 = unsure.
7. Over the pairs (f = label[i], t = label[j]; valid: f, t < 255):
   bg_pos = (f = t = 0); fg_pos = (f = t != 0) & valid;
   neg = (f != t) & valid; float32 (|D_r|, n_src).
"""
import math
import random
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np

from mmwsss.ops.pair_sets import pair_indices, resolve_radius

IGNORE = 255


def as_size(value: Union[int, Sequence[int]], name: str) -> Tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        value = (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2 or min(value) < 1:
        raise ValueError(f'{name} must be a positive int or (h, w), got '
                         f'{value}')
    return value


def psa_crop_box(size: Tuple[int, int],
                 crop_size: Union[int, Sequence[int]],
                 rng: Optional[random.Random] = None) -> Dict[str, tuple]:
    """Draw psa's crop: ``container`` (cy, cx), ``image`` (iy, ix) and
    ``extent`` (eh, ew), with Python ``random`` (or ``rng``), columns
    first."""
    rng = rng or random
    crop_h, crop_w = as_size(crop_size, 'crop_size')
    h, w = size
    offsets = {}
    for axis, length, crop in (('x', w, crop_w), ('y', h, crop_h)):
        space = length - crop
        if space > 0:
            offsets[axis] = (0, rng.randrange(space + 1))
        else:
            offsets[axis] = (rng.randrange(-space + 1), 0)
    return dict(
        container=(offsets['y'][0], offsets['x'][0]),
        image=(offsets['y'][1], offsets['x'][1]),
        extent=(min(crop_h, h), min(crop_w, w)))


def check_crop_box(box: dict, size: Tuple[int, int],
                   crop_size: Union[int, Sequence[int]]) -> dict:
    """Validate an explicit box (``container``, ``image``; ``extent``
    optional) for an image of ``size``; returns it with ``extent``."""
    crop_h, crop_w = as_size(crop_size, 'crop_size')
    extent = (min(crop_h, size[0]), min(crop_w, size[1]))
    cy, cx = (int(v) for v in box['container'])
    iy, ix = (int(v) for v in box['image'])
    if tuple(box.get('extent', extent)) != extent:
        raise ValueError(f'crop extent {box["extent"]} must be {extent} for '
                         f'a {size[0]}x{size[1]} image and crop {crop_size}')
    if (min(cy, cx, iy, ix) < 0 or cy + extent[0] > crop_h
            or cx + extent[1] > crop_w or iy + extent[0] > size[0]
            or ix + extent[1] > size[1]):
        raise ValueError(f'crop box {box} does not fit a {size[0]}x'
                         f'{size[1]} image and a {crop_h}x{crop_w} crop')
    return dict(container=(cy, cx), image=(iy, ix), extent=extent)


def crop_to_container(arr: np.ndarray,
                      box: dict,
                      crop_size: Union[int, Sequence[int]],
                      fill: float = 0,
                      channels_first: bool = False) -> np.ndarray:
    """Copy the box of ``arr`` ((H, W, ...) or, with ``channels_first``,
    (C, H, W)) into a container of ``crop_size`` filled with ``fill``;
    the dtype is kept."""
    crop_h, crop_w = as_size(crop_size, 'crop_size')
    (cy, cx), (iy, ix), (eh, ew) = box['container'], box['image'], box[
        'extent']
    if channels_first:
        out = np.full((arr.shape[0], crop_h, crop_w), fill, arr.dtype)
        out[:, cy:cy + eh, cx:cx + ew] = arr[:, iy:iy + eh, ix:ix + ew]
    else:
        out = np.full((crop_h, crop_w) + arr.shape[2:], fill, arr.dtype)
        out[cy:cy + eh, cx:cx + ew] = arr[iy:iy + eh, ix:ix + ew]
    return out


def block_mean_pool(scores: np.ndarray, stride: int) -> np.ndarray:
    """Mean of each stride x stride block of (C, H, W) scores; a size that
    is not a multiple of the stride is zero-padded at the bottom / right
    first (as ``skimage.measure.block_reduce``). Keeps the dtype."""
    chans, h, w = scores.shape
    ph, pw = stride * math.ceil(h / stride), stride * math.ceil(w / stride)
    if (ph, pw) != (h, w):
        scores = np.pad(scores, ((0, 0), (0, ph - h), (0, pw - w)))
    blocks = scores.reshape(chans, ph // stride, stride, pw // stride, stride)
    return blocks.mean(axis=(2, 4), dtype=scores.dtype)


def crf_affinity_label(pooled: np.ndarray,
                       no_score_thr: float = 1e-5) -> Dict[str, np.ndarray]:
    """``no_score``, ``la``, ``ha`` and the combined ``label`` (uint8,
    positions in [bg, classes], 255 unsure) of pooled [Q_lo; Q_hi]."""
    if pooled.shape[0] % 2:
        raise ValueError('pooled scores must stack the low and high maps, '
                         f'2(K+1) channels; got {pooled.shape[0]}')
    no_score = pooled.max(0) < no_score_thr
    lo, hi = np.split(pooled, 2, axis=0)
    la = lo.argmax(0).astype(np.uint8)
    ha = hi.argmax(0).astype(np.uint8)
    label = la.copy()
    label[la == 0] = IGNORE
    label[ha == 0] = 0
    label[no_score] = IGNORE
    return dict(no_score=no_score, la=la, ha=ha, label=label)


def psa_pair_labels(label: np.ndarray,
                    radius: int,
                    pair_set: str = 'psa'
                    ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``bg_pos``, ``fg_pos``, ``neg`` float32 (|D_r|, n_src) of an (h, w)
    label (255 = unsure) over the pairs of ``pair_set``."""
    ind_from, ind_to, valid = pair_indices(radius, label.shape, pair_set)
    flat = np.asarray(label).reshape(-1)
    src = flat[ind_from][None]
    dst = flat[ind_to].reshape(-1, ind_from.size)
    known = (src < IGNORE) & (dst < IGNORE)
    if valid is not None:
        known &= valid.reshape(dst.shape)
    same = src == dst
    bg_pos = same & (src == 0)
    if valid is not None:
        bg_pos &= valid.reshape(dst.shape)
    fg_pos = same & (src != 0) & known
    neg = ~same & known
    return (bg_pos.astype(np.float32), fg_pos.astype(np.float32),
            neg.astype(np.float32))


def psa_affinity_labels(image: np.ndarray,
                        scores_lo: np.ndarray,
                        scores_hi: np.ndarray,
                        crop: Optional[dict] = None,
                        flip: bool = False,
                        crop_size: Union[int, Sequence[int]] = 448,
                        stride: int = 8,
                        radius: int = 5,
                        radius_rule: str = 'psa',
                        pair_set: str = 'psa',
                        img_pad_val: float = 0) -> dict:
    """Steps 2-7 of the module docstring on one sample.

    Args:
        image (np.ndarray): (H, W, 3) image (already colour-jittered).
        scores_lo, scores_hi (np.ndarray): (K+1, H, W) CRF posteriors.
        crop (dict, optional): ``container`` (cy, cx) and ``image`` (iy, ix)
            offsets (``extent`` optional); None draws psa's random box.
        flip (bool): flip the crop horizontally.
        crop_size (int | tuple): Default: 448.
        stride (int): pooling block. Default: 8.
        radius, radius_rule, pair_set: pair geometry, see
            :mod:`mmwsss.ops.pair_sets`. Default: 5, 'psa', 'psa'.
        img_pad_val (float): image padding (psa: 0, black). Default: 0.

    Returns:
        dict: ``img`` (crop, image dtype), ``scores`` (2(K+1), crop, crop),
        ``pooled``, ``no_score``, ``la``, ``ha``, ``label``, ``bg_pos``,
        ``fg_pos``, ``neg``, ``radius``, ``crop`` (the box), ``flip``.
    """
    if scores_lo.shape != scores_hi.shape or scores_lo.ndim != 3:
        raise ValueError('scores_lo and scores_hi must both be (K+1, H, W), '
                         f'got {scores_lo.shape} and {scores_hi.shape}')
    if tuple(image.shape[:2]) != tuple(scores_lo.shape[1:]):
        raise ValueError(f'image {image.shape[:2]} and scores '
                         f'{scores_lo.shape[1:]} differ in size')
    size = tuple(image.shape[:2])
    box = (psa_crop_box(size, crop_size) if crop is None else
           check_crop_box(crop, size, crop_size))
    scores = np.concatenate([scores_lo, scores_hi])
    img = crop_to_container(image, box, crop_size, img_pad_val)
    scores = crop_to_container(scores, box, crop_size, 0,
                               channels_first=True)
    if flip:
        img = np.ascontiguousarray(img[:, ::-1])
        scores = np.ascontiguousarray(scores[:, :, ::-1])
    pooled = block_mean_pool(scores, stride)
    out = dict(img=img, scores=scores, pooled=pooled, crop=box, flip=flip)
    out.update(crf_affinity_label(pooled))
    radius = resolve_radius(pooled.shape[1:], radius, radius_rule, pair_set)
    out['bg_pos'], out['fg_pos'], out['neg'] = psa_pair_labels(
        out['label'], radius, pair_set)
    out['radius'] = radius
    return out
