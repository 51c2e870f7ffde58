"""Save dataset samples as they leave the config's pipeline.

``python tools/analysis/browse_dataset.py CONFIG [--output-dir DIR]
[--phase train|val|test] [--max N] [--not-show] [--seed S]
[--cfg-options k=v ...]``

Works with the CAM classifier configs (image-level labels), the BANA box
configs (boxes and the definite-background mask) and the mmseg
pseudo-label configs (label maps). Each sample becomes one PNG
``<DIR>/<img_id>.png``: the augmented image with its boxes, one tile per
label map or mask it carries (``gt_sem_seg``: the pseudo labels of a
training split or the ground truth of a validation split; BANA's
``gt_sem_seg_reliable`` and ``bg_mask``), and a legend naming the image
labels and mask classes in their colours. Default DIR:
``work_dirs/browse_dataset/<config stem>/<phase>``. Without
``--not-show`` each figure is also shown when a display is available.
"""
import argparse
import os.path as osp
import random
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import numpy as np
import torch
from mmengine.config import DictAction

from mmwsss.registry import DATASETS
from mmwsss.stages.cam_inference import load_config
from mmwsss.utils import InvalidInputError, exit_on_user_error
from mmwsss.visualization import (
    draw_boxes,
    label_legend,
    label_overlay,
    mask_overlay,
    save_rgb_png,
    stack_rows,
    tile_row,
    with_background,
)

#: label-map fields of mmseg / BANA data samples and their tile titles
SEG_FIELDS = {'gt_sem_seg': 'gt_sem_seg', 'gt_sem_seg_reliable': 'reliable'}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Browse a dataset')
    parser.add_argument('config', help='config file')
    parser.add_argument('--output-dir', help='PNG folder')
    parser.add_argument(
        '--phase', default='train', choices=['train', 'val', 'test'],
        help='which dataloader\'s dataset')
    parser.add_argument('--max', type=int, default=8,
                        help='number of samples (from the first)')
    parser.add_argument('--not-show', action='store_true',
                        help='only save the PNGs')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the random augmentations')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    return parser.parse_args(argv)


def to_numpy(value) -> np.ndarray:
    """A tensor, PixelData or array as a numpy array."""
    value = getattr(value, 'data', value)
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def packed_image(inputs) -> np.ndarray:
    """uint8 (H, W, 3) RGB of a packed (3, H, W) BGR input (OpenMMLab
    loaders read BGR)."""
    img = to_numpy(inputs)
    if img.ndim != 3 or img.shape[0] != 3:
        raise InvalidInputError(
            f'packed inputs of shape {img.shape}: only 3-channel images '
            'can be drawn.')
    img = np.clip(img, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    return np.ascontiguousarray(img[..., ::-1])


def draw_sample(packed: dict, classes) -> tuple:
    """(figure, image id, image-level class names) of one packed sample."""
    sample = packed['data_samples']
    image = packed_image(packed['inputs'])
    names = with_background(classes)  # name of label value v
    fg = names[1:]
    values = set()
    if 'gt_label' in sample:
        values |= {int(k) + 1 for k in to_numpy(sample.gt_label).ravel()}
    shown = image
    if 'gt_bboxes' in sample:
        labels = to_numpy(sample.get('gt_bboxes_labels',
                                     np.zeros(0, np.int64))).ravel()
        shown = draw_boxes(image, to_numpy(sample.gt_bboxes), labels, fg)
        values |= {int(k) + 1 for k in labels}
    tiles, titles = [shown], ['image']
    for field, title in SEG_FIELDS.items():
        if field in sample:
            label = to_numpy(sample.get(field)).reshape(image.shape[:2])
            tiles.append(label_overlay(image, label.astype(np.uint8)))
            titles.append(title)
            values |= {int(v) for v in np.unique(label) if v != 0}
    if 'bg_mask' in sample:
        tiles.append(mask_overlay(image, to_numpy(sample.bg_mask)))
        titles.append('bg_mask')
    legend = label_legend(sorted(values) or [0], names)
    img_path = sample.metainfo.get('img_path') or ''
    img_id = sample.metainfo.get('img_id') or osp.splitext(
        osp.basename(img_path))[0]
    present = [names[v] for v in sorted(values)
               if v != 255 and 0 < v < len(names)]
    return stack_rows([tile_row(tiles, titles), legend]), img_id, present


def main(argv=None):
    args = parse_args(argv)
    with exit_on_user_error():
        cfg = load_config(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        loader = cfg.get(f'{args.phase}_dataloader')
        if not loader or 'dataset' not in loader:
            raise InvalidInputError(
                f'{args.config} has no {args.phase}_dataloader.dataset; '
                'choose another --phase.')
        dataset = DATASETS.build(loader['dataset'])
        classes = dataset.metainfo.get('classes', ())
        stem = osp.splitext(osp.basename(args.config))[0]
        out_dir = args.output_dir or osp.join('work_dirs', 'browse_dataset',
                                              stem, args.phase)
        random.seed(args.seed)
        np.random.seed(args.seed)
        torch.manual_seed(args.seed)
        show = not args.not_show and _can_show()
        for index in range(min(args.max, len(dataset))):
            figure, img_id, present = draw_sample(dataset[index], classes)
            out = osp.join(out_dir, f'{img_id or index}.png')
            save_rgb_png(out, figure)
            print(f'{img_id}: {", ".join(present) or "-"} -> {out}')
            if show:
                _show(figure, img_id)
        print(f'{min(args.max, len(dataset))} samples of the '
              f'{args.phase} set in {out_dir}')


def _can_show() -> bool:
    """Whether matplotlib has an interactive backend (a display)."""
    import matplotlib
    backend = matplotlib.get_backend().lower()
    ok = not any(s in backend for s in ('agg', 'pdf', 'svg', 'ps', 'cairo'))
    if not ok:
        print('no display: figures are only saved (use --not-show to '
              'silence this)')
    return ok


def _show(figure: np.ndarray, title: str) -> None:
    import matplotlib.pyplot as plt
    plt.figure(title)
    plt.imshow(figure)
    plt.axis('off')
    plt.show()


if __name__ == '__main__':
    main()
