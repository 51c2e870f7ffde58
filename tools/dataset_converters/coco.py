"""Image labels and semantic masks from COCO 2014 instance annotations.

For each split reads ``COCO_ROOT/annotations/instances_<split>2014.json``
and writes into ``COCO_ROOT``:

- ``cls_labels_<split>.txt``: ``<file stem> <idx> ...`` with the 0-based
  contiguous labels of all the image's annotations (crowd ones included, as
  ``COCOClsDataset`` does by default); images without annotations are left
  out (their count is printed).
- ``SegmentationClass/<split>2014/<stem>.png``: palette PNGs, 0 background,
  label + 1 for the 80 classes (mmseg index). Non-crowd instances are drawn
  largest first so small objects stay visible where instances overlap;
  crowd regions not covered by an instance are 255 (ignore).

Polygons (rasterised by pixel centres, like pycocotools) and uncompressed
and compressed RLE are decoded here, without pycocotools.

Example::

    python tools/dataset_converters/coco.py data/coco --nproc 8
"""
import argparse
import os.path as osp
import sys
from collections import defaultdict
from typing import List, Sequence, Tuple, Union

import numpy as np
from mmengine.utils import track_parallel_progress, track_progress

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from mmwsss import fileio
from mmwsss.datasets.coco_cls_dataset import (
    COCO_CAT_TO_LABEL,
    load_coco_instances,
)
from mmwsss.utils import InvalidInputError, exit_on_user_error
from mmwsss.utils.atomic_io import atomic_write


def decode_rle_string(text: Union[str, bytes]) -> List[int]:
    """Decode COCO's compressed RLE string into run lengths.

    Each run is a variable-length signed integer in 5-bit groups stored as
    ``chr(48 + group)``; bit 0x20 marks a continuation and bit 0x10 of the
    last group the sign. From the third run on, a value is stored as the
    difference to the run two positions before.

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


def convert_image(task: Tuple[dict, List[dict], str, str]) -> None:
    """Draw and write the semantic mask of one image.

    Args:
        task (tuple): (image record, its annotations, output PNG, json path).
    """
    img, anns, out, json_path = task
    height, width = img['height'], img['width']
    seg = np.zeros((height, width), dtype=np.uint8)
    crowd = np.zeros((height, width), dtype=bool)
    for ann in sorted(anns, key=lambda a: -a.get('area', 0)):
        mask = annotation_mask(ann, height, width, json_path)
        if ann.get('iscrowd', 0):
            crowd |= mask
        else:
            seg[mask] = COCO_CAT_TO_LABEL[ann['category_id']] + 1
    seg[crowd & (seg == 0)] = fileio.IGNORE_INDEX
    fileio.save_label_png(out, seg)


def convert_split(coco_root: str, split: str, nproc: int = 1) -> dict:
    """Write the label file and masks of one split.

    Args:
        coco_root (str): COCO root holding ``annotations/``.
        split (str): ``'train'`` or ``'val'``.
        nproc (int): worker processes. Default: 1.

    Returns:
        dict: counts ``images``, ``labelled``.
    """
    json_path = osp.join(coco_root, 'annotations',
                         f'instances_{split}2014.json')
    coco = load_coco_instances(json_path)
    by_image = defaultdict(list)
    for ann in coco['annotations']:
        by_image[ann['image_id']].append(ann)
    out_dir = osp.join(coco_root, 'SegmentationClass', f'{split}2014')
    tasks, labels = [], {}
    for img in coco['images']:
        stem = osp.splitext(img['file_name'])[0]
        anns = by_image[img['id']]
        tasks.append((img, anns, osp.join(out_dir, f'{stem}.png'), json_path))
        if anns:
            labels[stem] = {COCO_CAT_TO_LABEL[a['category_id']] for a in anns}
    if nproc > 1:
        track_parallel_progress(convert_image, tasks, nproc, chunksize=16)
    else:
        track_progress(convert_image, tasks)
    atomic_write(
        osp.join(coco_root, f'cls_labels_{split}.txt'),
        fileio.format_cls_labels(labels).encode())
    return dict(images=len(tasks), labelled=len(labels))


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
        for split in args.splits:
            counts = convert_split(args.coco_root, split, args.nproc)
            print(f'\n{split}: {counts["images"]} masks, '
                  f'{counts["labelled"]} labelled images in '
                  f'cls_labels_{split}.txt ('
                  f'{counts["images"] - counts["labelled"]} without '
                  'annotations left out).')


if __name__ == '__main__':
    main()
