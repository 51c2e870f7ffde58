"""Confusion matrix of a folder of label PNGs against the ground truth.

``python tools/analysis/confusion_matrix.py CONFIG PRED_DIR --out cm.png
[--normalize] [--split S | --ann-file F] [--cam-bg-threshold T]
[--cfg-options k=v ...]``

PRED_DIR holds ``<img_id>.png`` label maps (0 background, c + 1 class c,
255 ignore): stage 3-4 pseudo labels (``work_dirs/<stem>/refine/pseudo``) or
segmentation predictions (mmseg's ``IoUMetric(output_dir=...)`` PNGs). A
CAM folder (``<img_id>.npz``, stage 2) is scored through the argmax with a
constant background score: ``--cam-bg-threshold T``. The ground truth is
that of the config's test dataset, or of ``--split`` (datasets with a
``split`` argument, e.g. ``VOCClsDataset``; others read
``ImageSets/Segmentation/<split>.txt``) or ``--ann-file``. Images without
a ground-truth mask are skipped.

``M[g, p]`` counts the pixels of ground truth g (255 left out) predicted
as p; ignored predictions (255) get their own ``ignored`` column and count
as misses. Writes the heat map (``--normalize``: rows divided by their sum,
i.e. recall per class) to ``--out`` and, beside it, the counts as
``<out stem>.npy`` and everything (classes, counts, normalised rows,
per-class IoU, mIoU) as ``<out stem>.json``.
"""
import argparse
import inspect
import io
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import numpy as np
from mmengine.config import DictAction

from mmwsss.evaluation.functional import (
    confusion_matrix,
    iou_from_confusion,
    nanmean,
)
from mmwsss.fileio import load_cams, read_image_size, read_label_png
from mmwsss.ops import cams_to_label
from mmwsss.registry import DATASETS
from mmwsss.stages.cam_inference import (
    build_inference_dataset,
    image_id,
    load_config,
)
from mmwsss.utils import (
    InvalidInputError,
    MissingInputError,
    exit_on_user_error,
)
from mmwsss.utils.atomic_io import atomic_write, atomic_write_json
from mmwsss.visualization import with_background


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Confusion matrix of label PNGs')
    parser.add_argument('config', help='config whose dataset has the GT')
    parser.add_argument('pred_dir', help='folder of <img_id>.png (or .npz)')
    parser.add_argument('--out', required=True, help='heat-map image')
    parser.add_argument('--normalize', action='store_true',
                        help='divide each row by its sum')
    parser.add_argument('--split', help='dataset split, e.g. train')
    parser.add_argument('--ann-file', help='id list (relative to data_root)')
    parser.add_argument('--cam-bg-threshold', type=float,
                        help='score CAM files (.npz) with this background')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    return parser.parse_args(argv)


def gt_dataset(cfg, split=None, ann_file=None):
    """The test dataset of ``cfg``, for another split or id list."""
    dataset_type = cfg.test_dataloader.dataset.get('type')
    takes_split = False
    if isinstance(dataset_type, str):
        params = inspect.signature(DATASETS.get(dataset_type)).parameters
        takes_split = 'split' in params
    if split and not takes_split and not ann_file:
        ann_file = f'ImageSets/Segmentation/{split}.txt'
        split = None
    return build_inference_dataset(cfg, split, ann_file)


def prediction(pred_dir: str, info: dict, num_fg: int,
               cam_bg_threshold=None) -> np.ndarray:
    """The predicted label map of one image (PNG, or CAMs + threshold)."""
    stem = osp.join(pred_dir, image_id(info))
    if osp.isfile(stem + '.png'):
        return read_label_png(stem + '.png', num_fg)
    if osp.isfile(stem + '.npz'):
        if cam_bg_threshold is None:
            raise InvalidInputError(
                f'{stem}.npz is a CAM file: pass --cam-bg-threshold T to '
                'score the argmax of [T, CAMs].')
        keys, cams = load_cams(stem + '.npz',
                               read_image_size(info['img_path']),
                               info['img_path'])
        return cams_to_label(cams, keys, cam_bg_threshold)
    raise MissingInputError(
        f'No prediction {stem}.png for image {info["img_path"]}. Pass the '
        'folder and the split the labels were made for (--split train for '
        'pseudo labels of the train split).')


def count(dataset, pred_dir: str, cam_bg_threshold=None) -> tuple:
    """(counts (C, C + 1), images scored): column C = ignored (255)."""
    names = with_background(dataset.metainfo['classes'])
    num = len(names)
    total = np.zeros((num, num + 1), np.int64)
    scored = 0
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        if not info.get('seg_map_path'):
            continue
        gt = read_label_png(info['seg_map_path'], num - 1)
        pred = prediction(pred_dir, info, num - 1, cam_bg_threshold)
        if pred.shape != gt.shape:
            raise InvalidInputError(
                f'Prediction of {image_id(info)} is {pred.shape[::-1]} '
                f'(W, H), its ground truth {gt.shape[::-1]}: predictions '
                'must have the image size.')
        pred = np.where(pred == 255, num, pred)
        total += confusion_matrix(pred, gt, num + 1)[:num]
        scored += 1
    if not scored:
        raise MissingInputError(
            'No image of the dataset has a ground-truth mask: choose a '
            'split with masks (--split / --ann-file).')
    return total, scored


def row_normalize(counts: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (NaN for an empty row)."""
    sums = counts.sum(1, keepdims=True).astype(np.float64)
    out = np.full(counts.shape, np.nan)
    np.divide(counts, sums, out=out, where=sums > 0)
    return out


def plot(matrix: np.ndarray, rows, cols, out: str, normalized: bool,
         title: str) -> None:
    """Heat map with class names; values written in cells up to 25
    classes."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    size = max(4.0, 0.5 * len(cols) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    shown = np.nan_to_num(matrix.astype(np.float64))
    image = ax.imshow(shown, cmap='Blues')
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(len(cols)), cols, rotation=45, ha='right')
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel('prediction')
    ax.set_ylabel('ground truth')
    ax.set_title(title)
    if len(cols) <= 25:
        high = shown.max() / 2 if shown.size else 0
        for (g, p), value in np.ndenumerate(shown):
            text = f'{value:.2f}' if normalized else f'{int(value)}'
            ax.text(p, g, text, ha='center', va='center', fontsize=7,
                    color='white' if value > high else 'black')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    with exit_on_user_error():
        cfg = load_config(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        if not osp.isdir(args.pred_dir):
            raise MissingInputError(
                f'Prediction folder {args.pred_dir} does not exist.')
        dataset = gt_dataset(cfg, args.split, args.ann_file)
        counts, scored = count(dataset, args.pred_dir, args.cam_bg_threshold)
        rows = with_background(dataset.metainfo['classes'])
        cols = list(rows)
        if counts[:, -1].any():
            cols.append('ignored')
        else:
            counts = counts[:, :-1]
        iou = iou_from_confusion(counts)
        miou = float(nanmean(iou) * 100)
        normalized = row_normalize(counts)
        plot(normalized if args.normalize else counts, rows, cols, args.out,
             args.normalize, f'{scored} images, mIoU {miou:.2f}')
        stem = osp.splitext(args.out)[0]
        buf = io.BytesIO()
        np.save(buf, counts)
        atomic_write(stem + '.npy', buf.getvalue())
        atomic_write_json(
            stem + '.json',
            dict(classes=rows, columns=cols, counts=counts.tolist(),
                 normalized=[[None if np.isnan(v) else v for v in r]
                             for r in normalized.tolist()],
                 iou={n: None if np.isnan(v) else float(v * 100)
                      for n, v in zip(rows, iou)},
                 mIoU=miou, num_images=scored, pred_dir=args.pred_dir))
        print(f'{scored} images, mIoU {miou:.2f}: {args.out} '
              f'(+ {osp.basename(stem)}.npy, {osp.basename(stem)}.json)')


if __name__ == '__main__':
    main()
