"""Build VOC ``SegmentationClassAug`` from SBD, plus ``trainaug.txt``.

Writes into ``VOC_ROOT``:

- ``SegmentationClassAug/<id>.png``: palette PNGs for every SBD and VOC
  segmentation id; the VOC ``SegmentationClass`` mask is used where both
  exist (it is finer than SBD's), SBD's ``cls/<id>.mat`` otherwise.
  Colour-coded (RGB) VOC masks are mapped back to class indices.
- ``ImageSets/Segmentation/trainaug.txt``: SBD train + SBD val + VOC train,
  minus VOC val; sorted, without duplicates (10,582 ids for VOC 2012).
- ``cls_labels.txt``: ``<id> <idx> ...`` (0-based classes present) for every
  converted id, which covers trainaug, train and val.

Example::

    python tools/dataset_converters/voc_aug.py data/VOCdevkit/VOC2012 \\
        data/benchmark_RELEASE --nproc 8
"""
import argparse
import os.path as osp
import sys
from typing import List, Tuple

import numpy as np
from mmengine.utils import track_parallel_progress, track_progress
from PIL import Image
from scipy.io import loadmat

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from mmwsss import fileio
from mmwsss.datasets import VOC_CLASSES
from mmwsss.utils import (
    InvalidInputError,
    MissingInputError,
    exit_on_user_error,
)
from mmwsss.utils.atomic_io import atomic_write

NUM_CLASSES = len(VOC_CLASSES)
SBD_HINT = ('Download SBD benchmark.tgz (http://www.eecs.berkeley.edu/'
            'Research/Projects/CS/vision/grouping/semantic_contours/'
            'benchmark.tgz) and pass the extracted benchmark_RELEASE folder.')


def sbd_dataset_dir(sbd_root: str) -> str:
    """The SBD folder holding ``cls/``, ``train.txt`` and ``val.txt``.

    Args:
        sbd_root (str): ``benchmark_RELEASE`` or its ``dataset`` folder.

    Returns:
        str: the folder.
    """
    for path in (osp.join(sbd_root, 'dataset'), sbd_root):
        if osp.isdir(osp.join(path, 'cls')):
            return path
    raise MissingInputError(
        f'No SBD cls/ folder in {sbd_root} or {sbd_root}/dataset. '
        f'{SBD_HINT}')


def load_sbd_mask(path: str) -> np.ndarray:
    """Read ``GTcls.Segmentation`` from an SBD ``cls/<id>.mat`` file.

    Args:
        path (str): the .mat file.

    Returns:
        np.ndarray: uint8 (H, W) label map.
    """
    fileio.require_file(path, 'SBD mask', SBD_HINT)
    try:
        mat = loadmat(path, squeeze_me=True, struct_as_record=False)
        mask = np.asarray(mat['GTcls'].Segmentation)
    except (OSError, ValueError, KeyError, AttributeError) as e:
        raise InvalidInputError(
            f'SBD mask {path} has no readable GTcls.Segmentation ({e}). '
            f'Re-extract it. {SBD_HINT}') from e
    if mask.ndim != 2:
        raise InvalidInputError(
            f'SBD mask {path}: GTcls.Segmentation has shape {mask.shape}, '
            f'not (H, W). {SBD_HINT}')
    fileio.check_label_values(mask, NUM_CLASSES, f'SBD mask {path}')
    return mask.astype(np.uint8)


def read_voc_mask(path: str) -> np.ndarray:
    """Read a VOC ``SegmentationClass`` PNG as class indices.

    Palette/grey PNGs are read as they are; colour-coded (RGB) masks are
    mapped back to indices through the VOC colour map.

    Args:
        path (str): the PNG.

    Returns:
        np.ndarray: uint8 (H, W) label map.
    """
    try:
        with Image.open(path) as img:
            rgb = (
                np.array(img.convert('RGB')) if img.mode in ('RGB',
                                                             'RGBA') else None)
    except (OSError, SyntaxError, ValueError):
        rgb = None  # read_label_png raises the right error
    if rgb is None:
        return fileio.read_label_png(path, NUM_CLASSES)
    weights = np.array([1 << 16, 1 << 8, 1])
    indices = [*range(NUM_CLASSES + 1), fileio.IGNORE_INDEX]
    lut = dict(zip(fileio.voc_palette()[indices] @ weights, indices))
    codes, inverse = np.unique(
        rgb.astype(np.int64) @ weights, return_inverse=True)
    unknown = [int(c) for c in codes if c not in lut]
    if unknown:
        raise InvalidInputError(
            f'Colour-coded mask {path} has colours '
            f'{[f"#{c:06x}" for c in unknown[:5]]} that are not VOC classes. '
            'Re-extract the VOC SegmentationClass folder.')
    mask = np.array([lut[c] for c in codes], dtype=np.uint8)[inverse]
    return mask.reshape(rgb.shape[:2])


def convert_one(task: Tuple[str, str]) -> List[int]:
    """Write one ``SegmentationClassAug`` PNG; return its class indices.

    Args:
        task (tuple): (source ``.png`` or ``.mat`` path, output PNG path).

    Returns:
        list[int]: 0-based classes present.
    """
    src, out = task
    if src.endswith('.mat'):
        mask = load_sbd_mask(src)
    else:
        mask = read_voc_mask(src)
    fileio.save_label_png(out, mask)
    return fileio.labels_from_mask(mask)


def convert(voc_root: str,
            sbd_root: str,
            nproc: int = 1,
            out_dir: str = '') -> dict:
    """Convert SBD and VOC masks; write the split and label files.

    Args:
        voc_root (str): ``VOCdevkit/VOC2012``.
        sbd_root (str): ``benchmark_RELEASE`` (or its ``dataset`` folder).
        nproc (int): worker processes. Default: 1.
        out_dir (str): mask folder; default ``<voc_root>/
            SegmentationClassAug``.

    Returns:
        dict: counts ``masks``, ``trainaug``, ``from_voc``.
    """
    fileio.require_dir(voc_root, 'VOC root', fileio.VOC_HINT)
    sbd_dir = sbd_dataset_dir(sbd_root)
    split_dir = osp.join(voc_root, 'ImageSets', 'Segmentation')
    voc_train = fileio.read_split(osp.join(split_dir, 'train.txt'))
    voc_val = fileio.read_split(osp.join(split_dir, 'val.txt'))
    sbd_train = fileio.read_split(osp.join(sbd_dir, 'train.txt'), SBD_HINT)
    sbd_val = fileio.read_split(osp.join(sbd_dir, 'val.txt'), SBD_HINT)
    out_dir = out_dir or osp.join(voc_root, 'SegmentationClassAug')
    voc_ids = set(voc_train) | set(voc_val)
    ids = sorted(voc_ids | set(sbd_train) | set(sbd_val))
    tasks = [(osp.join(voc_root, 'SegmentationClass', f'{i}.png')
              if i in voc_ids else osp.join(sbd_dir, 'cls', f'{i}.mat'),
              osp.join(out_dir, f'{i}.png')) for i in ids]
    if nproc > 1:
        labels = track_parallel_progress(convert_one, tasks, nproc)
    else:
        labels = track_progress(convert_one, tasks)
    trainaug = sorted((set(sbd_train) | set(sbd_val) | set(voc_train)) -
                      set(voc_val))
    atomic_write(
        osp.join(split_dir, 'trainaug.txt'),
        ''.join(f'{i}\n' for i in trainaug).encode())
    atomic_write(
        osp.join(voc_root, 'cls_labels.txt'),
        fileio.format_cls_labels(dict(zip(ids, labels))).encode())
    return dict(masks=len(ids), trainaug=len(trainaug), from_voc=len(voc_ids))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert SBD masks to VOC SegmentationClassAug.')
    parser.add_argument('voc_root', help='VOCdevkit/VOC2012 folder')
    parser.add_argument('sbd_root', help='benchmark_RELEASE folder')
    parser.add_argument('--out-dir', default='', help='mask output folder')
    parser.add_argument('--nproc', type=int, default=1, help='processes')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    with exit_on_user_error():
        counts = convert(args.voc_root, args.sbd_root, args.nproc,
                         args.out_dir)
    print(f'\nWrote {counts["masks"]} masks ({counts["from_voc"]} from VOC '
          f'SegmentationClass), trainaug.txt with {counts["trainaug"]} ids '
          'and cls_labels.txt.')


if __name__ == '__main__':
    main()
