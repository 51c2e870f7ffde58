"""Reading predictions and ground truth out of data samples (the dicts that
mmengine's Evaluator passes, or data elements: both have ``.get``)."""
import logging
from typing import Any, Optional

import numpy as np
import torch
from mmengine.logging import print_log

from mmwsss.fileio import read_label_png
from mmwsss.utils import InvalidInputError
from ..functional import confusion_matrix


def to_numpy(value: Any) -> np.ndarray:
    """Tensor, ``PixelData`` (or its dict) or array → numpy array."""
    if isinstance(value, dict):
        value = value['data']
    elif hasattr(value, 'data') and not isinstance(value,
                                                   (torch.Tensor, np.ndarray)):
        value = value.data
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def label_map(value: Any) -> np.ndarray:
    """An (H, W) label map from an (H, W) or (1, H, W) field."""
    out = to_numpy(value)
    if out.ndim == 3 and out.shape[0] == 1:
        out = out[0]
    if out.ndim != 2:
        raise ValueError(f'expected an (H, W) label map, got {out.shape}')
    return out


def ground_truth(sample: Any, num_fg_classes: int) -> Optional[np.ndarray]:
    """The sample's ground truth: ``gt_sem_seg`` when present, else the PNG
    at ``seg_map_path``; None when the sample has neither."""
    gt = sample.get('gt_sem_seg')
    if gt is not None:
        return label_map(gt)
    path = sample.get('seg_map_path')
    if path is None:
        return None
    return read_label_png(path, num_fg_classes)


def check_same_size(pred_shape, gt: np.ndarray, sample: Any,
                    what: str) -> None:
    """Raise :class:`InvalidInputError` when a prediction and its ground
    truth differ in size, naming the files."""
    if tuple(pred_shape) != gt.shape:
        raise InvalidInputError(
            f'{what} of {sample.get("img_path", "an image")} is '
            f'{pred_shape[1]}x{pred_shape[0]} (WxH) but its ground truth '
            f'{sample.get("seg_map_path", "")} is {gt.shape[1]}x'
            f'{gt.shape[0]}. Predictions must be at the original image size: '
            'regenerate them from the same images.')


def label_pair(sample: Any, num_classes: int) -> Optional[tuple]:
    """``(pred, gt)`` label maps of a sample with ``pred_sem_seg`` and a
    ground truth (``gt_sem_seg`` or ``seg_map_path``); None without ground
    truth. ``num_classes`` counts the background."""
    gt = ground_truth(sample, num_classes - 1)
    if gt is None:
        return None
    if sample.get('pred_sem_seg') is None:
        raise ValueError('label-map metrics need samples with pred_sem_seg')
    pred = label_map(sample.get('pred_sem_seg'))
    check_same_size(pred.shape, gt, sample, 'Prediction')
    return pred, gt


def confusion_with_ignored(pred: np.ndarray,
                           gt: np.ndarray,
                           num_classes: int,
                           ignore_index: int = 255) -> np.ndarray:
    """(C, C + 1) confusion whose last column counts predictions equal to
    ``ignore_index`` (unlabelled pseudo-label pixels)."""
    pred = np.where(pred == ignore_index, num_classes, pred)
    return confusion_matrix(pred, gt, num_classes + 1,
                            ignore_index)[:num_classes]


def seg_class_names(metric: Any) -> list:
    """Class names of a label-map metric: ``dataset_meta['classes']`` in the
    mmseg convention (background first)."""
    meta = metric.dataset_meta
    if not meta or 'classes' not in meta:
        raise ValueError(
            f'{type(metric).__name__} needs dataset_meta["classes"] '
            '(background first); the Runner sets it from the dataset, direct '
            'users assign metric.dataset_meta = dict(classes=...).')
    return list(meta['classes'])


def evaluated(metric: Any, results: list) -> list:
    """The results of samples that had a ground truth (others are None),
    with a warning that counts the skipped ones."""
    entries = [r for r in results if r is not None]
    if len(entries) < len(results):
        print_log(
            f'{type(metric).__name__}: {len(results) - len(entries)} '
            'image(s) without ground truth (no seg_map_path) were not '
            'evaluated.',
            logger='current',
            level=logging.WARNING)
    return entries
