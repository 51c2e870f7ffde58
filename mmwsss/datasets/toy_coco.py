"""A synthetic dataset in the MS-COCO 2014 layout, for tests and demos.

The toy VOC's shapes (:func:`render_toy_instances`) as COCO instance
annotations (Lin et al., "Microsoft COCO: Common Objects in Context", ECCV
2014, arXiv:1405.0312; format of cocodataset.org/#format-data), so that the
COCO path (``tools/dataset_converters/coco.py`` -> ``COCOClsDataset`` ->
CAMs -> pseudo labels -> segmentation) runs without COCO. Layout written by
:func:`make_toy_coco`, as the real set's::

    train2014/COCO_train2014_<id:012d>.jpg     RGB images (val2014/ alike)
    annotations/instances_train2014.json       images, annotations,
    annotations/instances_val2014.json         categories
    toycoco.json                               manifest: arguments, complete

Like COCO's, the category ids are not contiguous
(:data:`TOY_COCO_CATEGORIES`: disc 1, square 3, triangle 7, cross 12, ring
18, star 25), listed in the json by name, not by id; labels follow the
ascending ids, so label ``i`` is ``TOY_CLASSES[i]``. Each object's
``segmentation`` is its visible mask: polygons along the pixel edges (exact;
holes joined by a bridge), or, for about one image in seven with two or
more objects, one object marked ``iscrowd=1`` with an RLE mask (uncompressed
counts, as in COCO's instances files, or the compressed string, in turns).
Every tenth image has no object and so no annotation (COCO 2014 train has
702 such images). Image ids are not contiguous either.

Use :class:`COCOClsDataset` with ``metainfo=dict(classes=TOY_CLASSES)``.
"""
import json
import os.path as osp
from typing import List, Tuple

import numpy as np
from mmengine.utils import ProgressBar

from mmwsss.fileio.coco_masks import (
    encode_rle_string,
    mask_to_polygons,
    mask_to_rle_counts,
)
from mmwsss.utils import InvalidInputError
from .toy_output import ToyOutput
from .toy_voc import TOY_CLASSES, TOY_VERSION, render_toy_instances

#: (COCO category id, name) of the toy classes, in label order
TOY_COCO_CATEGORIES = tuple(zip((1, 3, 7, 12, 18, 25), TOY_CLASSES))
_CROWD_P = 0.15  # images with >= 2 objects that get one crowd annotation
_EMPTY_EVERY = 10  # image i has no object when i % 10 == 9


def toy_coco_image_id(split: str, index: int) -> int:
    """COCO image id of the ``index``-th image of ``split``: ``9 + 3 i``
    for train, ``10 + 3 i`` for val (distinct, not contiguous)."""
    return 3 * index + (9 if split == 'train' else 10)


def _annotations(owner: np.ndarray, labels: List[int], image_id: int,
                 crowd: int, next_id: int) -> List[dict]:
    """COCO annotations of one image's objects (``crowd``: the index of the
    crowd object, or -1; its RLE is compressed when its id is even)."""
    height, width = owner.shape
    anns = []
    for k, label in enumerate(labels):
        mask = owner == k
        ys, xs = np.nonzero(mask)
        ann_id = next_id + k
        if k == crowd:
            counts = mask_to_rle_counts(mask)
            segmentation = dict(
                size=[height, width],
                counts=encode_rle_string(counts) if ann_id % 2 == 0 else
                counts)
        else:
            segmentation = mask_to_polygons(mask)
        anns.append(
            dict(
                id=ann_id,
                image_id=image_id,
                category_id=TOY_COCO_CATEGORIES[label][0],
                segmentation=segmentation,
                area=float(mask.sum()),
                bbox=[
                    float(xs.min()),
                    float(ys.min()),
                    float(xs.max() - xs.min() + 1),
                    float(ys.max() - ys.min() + 1)
                ],
                iscrowd=int(k == crowd)))
    return anns


def render_toy_coco_image(
        seed: int, split: str, index: int,
        size: int) -> Tuple[np.ndarray, np.ndarray, List[int], int]:
    """Draw image ``index`` of ``split``: (image, owner map, labels,
    crowd object index or -1), from ``default_rng([seed, split, index])``
    with split 0 = train, 1 = val."""
    rng = np.random.default_rng([seed, int(split == 'val'), index])
    empty = index % _EMPTY_EVERY == _EMPTY_EVERY - 1
    img, owner, labels = render_toy_instances(
        rng, size, num_objects=0 if empty else None)
    crowd = -1
    if len(labels) >= 2 and rng.random() < _CROWD_P:
        crowd = int(rng.integers(len(labels)))
    return img, owner, labels, crowd


def make_toy_coco(out_dir: str,
                  seed: int = 0,
                  num_train: int = 2000,
                  num_val: int = 300,
                  size: int = 96,
                  overwrite: bool = False,
                  progress: bool = False) -> str:
    """Generate the toy COCO dataset (deterministic, resumable).

    Equal arguments give byte-identical files; ``toycoco.json`` records
    them (a complete set is left as it is, an interrupted one resumed,
    another set in the folder refused unless ``overwrite``).

    Args:
        out_dir (str): output folder, e.g. ``data/toycoco``.
        seed (int): random seed. Default: 0.
        num_train (int): number of train images. Default: 2000.
        num_val (int): number of val images. Default: 300.
        size (int): image side in pixels. Default: 96.
        overwrite (bool): regenerate into a folder holding other data.
            Default: False.
        progress (bool): show a progress bar. Default: False.

    Returns:
        str: ``out_dir``.
    """
    if num_train < 1 or num_val < 1 or size < 32:
        raise InvalidInputError(
            f'make_toy_coco needs num_train >= 1, num_val >= 1 and size >= 32 '
            f'(--num-train, --num-val, --size), got {num_train}, '
            f'{num_val}, {size}')
    args = dict(
        version=TOY_VERSION,
        seed=seed,
        num_train=num_train,
        num_val=num_val,
        size=size)
    out = ToyOutput.start('Toy COCO', out_dir, 'toycoco.json', args, overwrite)
    if out is None:
        return out_dir
    bar = ProgressBar(num_train + num_val) if progress else None
    categories = [
        dict(id=cat_id, name=name, supercategory='shape')
        for cat_id, name in sorted(TOY_COCO_CATEGORIES, key=lambda c: c[1])
    ]
    next_id = 1
    for split, count in (('train', num_train), ('val', num_val)):
        images, annotations = [], []
        for index in range(count):
            img, owner, labels, crowd = render_toy_coco_image(
                seed, split, index, size)
            image_id = toy_coco_image_id(split, index)
            file_name = f'COCO_{split}2014_{image_id:012d}.jpg'
            out.write_jpeg(osp.join(f'{split}2014', file_name), img)
            images.append(
                dict(
                    id=image_id,
                    file_name=file_name,
                    height=size,
                    width=size))
            annotations += _annotations(owner, labels, image_id, crowd,
                                        next_id)
            next_id += len(labels)
            if bar is not None:
                bar.update()
        out.write(
            osp.join('annotations', f'instances_{split}2014.json'),
            json.dumps(
                dict(
                    info=dict(description='mmwsss toy COCO'),
                    images=images,
                    annotations=annotations,
                    categories=categories)).encode(),
            keep=False)
    out.finish()
    return out_dir
