"""Your own data (an image folder, a CSV of image-level tags, optional
boxes) -> the files ``VOCClsDataset``, ``VOCBoxDataset`` and
``PseudoLabelSegDataset`` read, so every stage runs on it unchanged.

Reads from ``DATA_ROOT``:

- ``classes.txt``: the class names, one per line; line ``i`` is label
  ``i`` and pixel value ``i + 1`` in masks (0 is background).
- ``labels.csv``: a header and one row per image, columns ``image``
  (file name in ``images/``), ``split`` (e.g. ``train``, ``val``) and
  ``tags`` (class names separated by ``;``).
- ``boxes.json`` (optional): ``{"<image>": [{"label": name, "bbox": [x1,
  y1, x2, y2]}, ...]}`` in pixels, the box covering ``x1 <= x < x2``,
  ``y1 <= y < y2`` (COCO's ``[x, y, x + w, y + h]``).

Writes into ``DATA_ROOT``:

- ``cls_labels.txt``: ``<stem> <idx> ...`` for every tagged image;
- ``ImageSets/Segmentation/<split>.txt``: the stems of each split (images
  without tags are left out and counted);
- ``Annotations/<stem>.xml``: VOC XML of the boxes (1-based inclusive, as
  VOC), with ``--boxes``.

Masks for a few images (``masks/<stem>.png``, uint8 label PNGs, 255
ignore) are read by the datasets directly (``seg_map_dir='masks'``); the
converter counts them per split.

Example::

    python tools/dataset_converters/image_tags.py data/mydata --boxes
"""
import argparse
import csv
import json
import os.path as osp
import sys
from collections import defaultdict
from typing import Dict, List, Sequence

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from mmwsss import fileio
from mmwsss.utils import InvalidInputError, exit_on_user_error
from mmwsss.utils.atomic_io import atomic_write

FIX = ('See docs/en/user_guides/custom_dataset.md for the layout of '
       'classes.txt, labels.csv and boxes.json.')


def read_classes(path: str) -> List[str]:
    """Class names of ``classes.txt`` (one per line, blank lines skipped)."""
    fileio.require_file(path, 'Class list', FIX)
    with open(path, encoding='utf-8') as f:
        names = [line.strip() for line in f if line.strip()]
    if not names or len(set(names)) < len(names):
        raise InvalidInputError(
            f'Class list {path} must name at least one class, each once '
            f'(got {names}). {FIX}')
    return names


def read_tags(path: str, classes: Sequence[str]) -> List[dict]:
    """Rows of ``labels.csv``: ``image``, ``stem``, ``split`` and the sorted
    0-based ``labels`` of its tags."""
    fileio.require_file(path, 'Image-tag table', FIX)
    index = {name: i for i, name in enumerate(classes)}
    with open(path, encoding='utf-8', newline='') as f:
        reader = csv.DictReader(f)
        missing = {'image', 'split', 'tags'} - set(reader.fieldnames or [])
        if missing:
            raise InvalidInputError(
                f'{path} lacks the column(s) {sorted(missing)}; its header '
                f'is {reader.fieldnames}. {FIX}')
        rows, seen = [], set()
        for lineno, row in enumerate(reader, 2):
            tags = [t.strip() for t in (row['tags'] or '').split(';')]
            unknown = [t for t in tags if t and t not in index]
            if unknown:
                raise InvalidInputError(
                    f'{path} line {lineno}: tag(s) {unknown} are not in '
                    f'classes.txt {list(classes)} (tags are separated by '
                    f'";"). {FIX}')
            stem = osp.splitext(row['image'])[0]
            if stem in seen:
                raise InvalidInputError(
                    f'{path} line {lineno}: image {row["image"]} is listed '
                    'twice.')
            seen.add(stem)
            rows.append(
                dict(
                    image=row['image'],
                    stem=stem,
                    split=row['split'].strip(),
                    labels=sorted({index[t]
                                   for t in tags if t})))
    return rows


def box_xml(image: str, size: tuple, boxes: List[dict]) -> str:
    """VOC XML of an image's boxes (``bbox`` corners -> 1-based inclusive
    ``xmin = x1 + 1``, ``xmax = x2``)."""
    width, height = size
    objects = []
    for box in boxes:
        x1, y1, x2, y2 = (int(round(v)) for v in box['bbox'])
        objects.append(
            f'\t<object>\n\t\t<name>{box["label"]}</name>\n'
            '\t\t<difficult>0</difficult>\n\t\t<truncated>0</truncated>\n'
            f'\t\t<bndbox>\n\t\t\t<xmin>{x1 + 1}</xmin>\n'
            f'\t\t\t<ymin>{y1 + 1}</ymin>\n\t\t\t<xmax>{x2}</xmax>\n'
            f'\t\t\t<ymax>{y2}</ymax>\n\t\t</bndbox>\n\t</object>\n')
    return (f'<annotation>\n\t<filename>{image}</filename>\n\t<size>\n'
            f'\t\t<width>{width}</width>\n\t\t<height>{height}</height>\n'
            '\t\t<depth>3</depth>\n\t</size>\n' + ''.join(objects) +
            '</annotation>\n')


def write_boxes(root: str, rows: List[dict], classes: Sequence[str]) -> int:
    """``Annotations/<stem>.xml`` from ``boxes.json``; returns the count."""
    path = osp.join(root, 'boxes.json')
    fileio.require_file(path, 'Box file', FIX)
    with open(path, encoding='utf-8') as f:
        table = json.load(f)
    by_image = {row['image']: row for row in rows}
    for image, boxes in table.items():
        if image not in by_image:
            raise InvalidInputError(
                f'{path}: {image} is not in labels.csv. {FIX}')
        row = by_image[image]
        size = fileio.read_image_size(osp.join(root, 'images', image))[::-1]
        for box in boxes:
            label = box.get('label')
            x1, y1, x2, y2 = box.get('bbox', (0, 0, 0, 0))
            if label not in classes or classes.index(
                    label) not in row['labels']:
                raise InvalidInputError(
                    f'{path}: a box of {image} has label {label!r}, not one '
                    f'of its tags {[classes[i] for i in row["labels"]]}.')
            if not (0 <= x1 < x2 <= size[0] and 0 <= y1 < y2 <= size[1]):
                raise InvalidInputError(
                    f'{path}: box {[x1, y1, x2, y2]} of {image} is empty or '
                    f'outside the {size[0]}x{size[1]} image (corners x1 < x2,'
                    ' y1 < y2, in pixels).')
        atomic_write(
            osp.join(root, 'Annotations', f'{row["stem"]}.xml'),
            box_xml(image, size, boxes).encode())
    return len(table)


def convert(root: str, boxes: bool = False) -> Dict[str, dict]:
    """Write the label file, split lists and (with ``boxes``) the XMLs.

    Args:
        root (str): the data root.
        boxes (bool): convert ``boxes.json`` too. Default: False.

    Returns:
        dict: per split ``images`` (listed), ``untagged`` (left out) and
        ``masks`` (listed images with ``masks/<stem>.png``); ``boxes`` the
        number of images with boxes.
    """
    fileio.require_dir(osp.join(root, 'images'), 'Image folder', FIX)
    classes = read_classes(osp.join(root, 'classes.txt'))
    rows = read_tags(osp.join(root, 'labels.csv'), classes)
    for row in rows:
        fileio.require_file(
            osp.join(root, 'images', row['image']), 'Image', FIX)
    splits = defaultdict(lambda: dict(images=[], untagged=0, masks=0))
    for row in rows:
        split = splits[row['split']]
        if not row['labels']:
            split['untagged'] += 1
            continue
        split['images'].append(row['stem'])
        split['masks'] += osp.isfile(
            osp.join(root, 'masks', f'{row["stem"]}.png'))
    atomic_write(
        osp.join(root, 'cls_labels.txt'),
        fileio.format_cls_labels({
            row['stem']: row['labels']
            for row in rows if row['labels']
        }).encode())
    for name, split in splits.items():
        atomic_write(
            osp.join(root, 'ImageSets', 'Segmentation', f'{name}.txt'),
            ''.join(f'{stem}\n' for stem in split['images']).encode())
    summary = {
        name: dict(
            images=len(s['images']), untagged=s['untagged'], masks=s['masks'])
        for name, s in splits.items()
    }
    if boxes:
        summary['boxes'] = write_boxes(root, rows, classes)
    return summary


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Image folder + tag CSV -> VOC-style label and split '
        'files.')
    parser.add_argument('root', help='data root holding images/, '
                        'classes.txt and labels.csv')
    parser.add_argument(
        '--boxes', action='store_true', help='convert boxes.json too')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    with exit_on_user_error():
        summary = convert(args.root, args.boxes)
    for name, split in summary.items():
        if name == 'boxes':
            print(f'boxes: Annotations/<stem>.xml for {split} images')
            continue
        print(f'{name}: {split["images"]} images in ImageSets/Segmentation/'
              f'{name}.txt, {split["masks"]} with masks/<stem>.png'
              + (f', {split["untagged"]} without tags left out'
                 if split['untagged'] else ''))


if __name__ == '__main__':
    main()
