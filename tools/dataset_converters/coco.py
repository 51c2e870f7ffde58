"""Image labels and semantic masks from COCO 2014 instance annotations.

For each split reads ``COCO_ROOT/annotations/instances_<split>2014.json``
and writes into ``COCO_ROOT``:

- ``cls_labels_<split>.txt``: ``<file stem> <idx> ...`` with the 0-based
  contiguous labels of all the image's annotations (crowd ones included, as
  ``COCOClsDataset`` does by default); images without annotations are left
  out (their count is printed).
- ``ImageSets/<split>2014.txt``: the same stems, one per line (the id list
  of the stage-5 configs).
- ``SegmentationClass/<split>2014/<stem>.png``: palette PNGs, 0 background,
  label + 1 for the classes (mmseg index). Non-crowd instances are drawn
  largest first so small objects stay visible where instances overlap;
  crowd regions not covered by an instance are 255 (ignore).

Labels follow ``COCOClsDataset``: the json's categories in ascending id
order (:func:`coco_categories`), for COCO 2014 the 80 ids of
``COCO_CAT_IDS`` (person = label 0 = pixel value 1, ..., toothbrush = 79 =
pixel value 80); every split converted in one call must list the same
categories. Polygons (rasterised by pixel centres, like pycocotools) and
uncompressed and compressed RLE are decoded by ``mmwsss.fileio.coco_masks``,
without pycocotools.

Example::

    python tools/dataset_converters/coco.py data/coco --nproc 8
"""
import argparse
import os.path as osp
import sys
from collections import defaultdict
from typing import Dict, List, Tuple

import numpy as np
from mmengine.utils import track_parallel_progress, track_progress

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from mmwsss import fileio
from mmwsss.datasets.coco_cls_dataset import (
    coco_categories,
    load_coco_instances,
)
from mmwsss.fileio.coco_masks import (
    decode_rle_string,
    polygon_to_mask,
    rle_to_mask,
)
from mmwsss.utils import InvalidInputError, exit_on_user_error
from mmwsss.utils.atomic_io import atomic_write


def annotation_mask(ann: dict, height: int, width: int,
                    json_path: str) -> np.ndarray:
    """Rasterise one annotation's ``segmentation`` (polygons or RLE).

    Args:
        ann (dict): a COCO annotation.
        height (int): image height.
        width (int): image width.
        json_path (str): the json, for error messages.

    Returns:
        np.ndarray: bool (height, width).
    """
    segm = ann.get('segmentation')
    if isinstance(segm, list):
        mask = np.zeros((height, width), dtype=bool)
        for poly in segm:
            if len(poly) >= 6:
                mask |= polygon_to_mask(poly, height, width)
        return mask
    if isinstance(segm, dict) and 'counts' in segm:
        counts = segm['counts']
        if isinstance(counts, (str, bytes)):
            counts = decode_rle_string(counts)
        if sum(counts) == height * width and min(counts, default=0) >= 0:
            return rle_to_mask(counts, height, width)
    raise InvalidInputError(
        f'COCO instances json {json_path}: annotation {ann.get("id")} has no '
        f'usable segmentation for its {width}x{height} image. Download the '
        'annotations again.')


def convert_image(task: Tuple[dict, List[dict], Dict[int, int], str,
                              str]) -> None:
    """Draw and write the semantic mask of one image.

    Args:
        task (tuple): (image record, its annotations, category id -> label,
            output PNG, json path).
    """
    img, anns, cat_to_label, out, json_path = task
    height, width = img['height'], img['width']
    seg = np.zeros((height, width), dtype=np.uint8)
    crowd = np.zeros((height, width), dtype=bool)
    for ann in sorted(anns, key=lambda a: -a.get('area', 0)):
        mask = annotation_mask(ann, height, width, json_path)
        if ann.get('iscrowd', 0):
            crowd |= mask
        else:
            seg[mask] = cat_to_label[ann['category_id']] + 1
    seg[crowd & (seg == 0)] = fileio.IGNORE_INDEX
    fileio.save_label_png(out, seg)


def convert_split(coco_root: str, split: str, nproc: int = 1) -> dict:
    """Write the label file, id list and masks of one split.

    Args:
        coco_root (str): COCO root holding ``annotations/``.
        split (str): ``'train'`` or ``'val'``.
        nproc (int): worker processes. Default: 1.

    Returns:
        dict: counts ``images``, ``labelled`` and the ``categories``
        (category ids and names in label order, :func:`coco_categories`).
    """
    json_path = osp.join(coco_root, 'annotations',
                         f'instances_{split}2014.json')
    coco = load_coco_instances(json_path)
    categories = coco_categories(coco)
    cat_to_label = {cat_id: i for i, cat_id in enumerate(categories[0])}
    by_image = defaultdict(list)
    for ann in coco['annotations']:
        by_image[ann['image_id']].append(ann)
    out_dir = osp.join(coco_root, 'SegmentationClass', f'{split}2014')
    tasks, labels = [], {}
    for img in coco['images']:
        stem = osp.splitext(img['file_name'])[0]
        anns = by_image[img['id']]
        tasks.append((img, anns, cat_to_label,
                      osp.join(out_dir, f'{stem}.png'), json_path))
        if anns:
            labels[stem] = {cat_to_label[a['category_id']] for a in anns}
    if nproc > 1:
        track_parallel_progress(convert_image, tasks, nproc, chunksize=16)
    else:
        track_progress(convert_image, tasks)
    atomic_write(
        osp.join(coco_root, f'cls_labels_{split}.txt'),
        fileio.format_cls_labels(labels).encode())
    atomic_write(
        osp.join(coco_root, 'ImageSets', f'{split}2014.txt'),
        ''.join(f'{stem}\n' for stem in sorted(labels)).encode())
    return dict(
        images=len(tasks), labelled=len(labels), categories=categories)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='COCO 2014 instances -> image labels + semantic masks.')
    parser.add_argument('coco_root', help='folder holding annotations/')
    parser.add_argument(
        '--splits', nargs='+', default=['train', 'val'], help='splits')
    parser.add_argument('--nproc', type=int, default=1, help='processes')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    with exit_on_user_error():
        fileio.require_dir(args.coco_root, 'COCO root', fileio.COCO_HINT)
        first = None
        for split in args.splits:
            counts = convert_split(args.coco_root, split, args.nproc)
            print(f'\n{split}: {counts["images"]} masks, '
                  f'{counts["labelled"]} labelled images in '
                  f'cls_labels_{split}.txt ('
                  f'{counts["images"] - counts["labelled"]} without '
                  'annotations left out).')
            if first is None:
                first = (split, counts['categories'])
            elif counts['categories'] != first[1]:
                raise InvalidInputError(
                    f'instances_{split}2014.json and instances_{first[0]}'
                    '2014.json list different categories, so their labels '
                    'would not match; convert data whose splits share one '
                    'category list.')
        ids, names = first[1]
        print(f'{len(ids)} classes, label (pixel value = label + 1): ' +
              ', '.join(f'{i} {name} (id {cat})'
                        for i, (cat, name) in enumerate(zip(ids, names))))


if __name__ == '__main__':
    main()
