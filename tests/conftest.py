"""Shared fixtures: registered modules and generated datasets."""
import io
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from mmwsss import fileio
from mmwsss.datasets import VOC_CLASSES
from mmwsss.datasets.toy_voc import make_toy_voc
from mmwsss.utils import register_all_modules
from mmwsss.utils.atomic_io import atomic_write

# Tests use tiny tensors; one thread avoids oversubscribing the 2 CI cores
# when pytest-xdist runs two workers.
torch.set_num_threads(1)


@pytest.fixture(scope='session', autouse=True)
def _register_modules():
    register_all_modules()


@pytest.fixture(scope='session')
def toy_voc(tmp_path_factory) -> str:
    """A small toy VOC (24 train, 8 val, 64x64); treat it as read-only."""
    return make_toy_voc(
        str(tmp_path_factory.mktemp('toyvoc')),
        seed=0,
        num_train=24,
        num_val=8,
        size=64)


# Hand-made VOC samples: id -> (size, objects (class, x1, y1, x2, y2,
# difficult)); masks fill each box with its class.
TINY_VOC = {
    '2007_000001': ((40, 30), [('cat', 3, 4, 20, 25, 0)]),
    '2007_000002': ((32, 32), [('person', 1, 1, 32, 32, 0),
                               ('dog', 10, 10, 20, 20, 1)]),
    '2008_000003': ((36, 28), [('tvmonitor', 5, 6, 30, 20, 0),
                               ('aeroplane', 2, 2, 8, 8, 0)]),
}


def write_voc_xml(path: str, size, objects) -> None:
    """Write a minimal VOC annotation XML."""
    objs = ''.join(
        f'<object><name>{n}</name><truncated>0</truncated>'
        f'<difficult>{d}</difficult><bndbox><xmin>{x1}</xmin><ymin>{y1}'
        f'</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object>'
        for n, x1, y1, x2, y2, d in objects)
    atomic_write(path,
                        (f'<annotation><size><width>{size[0]}</width><height>'
                         f'{size[1]}</height><depth>3</depth></size>{objs}'
                         '</annotation>').encode())


@pytest.fixture
def xml_writer():
    """:func:`write_voc_xml`, for tests that write their own annotations."""
    return write_voc_xml


def jpeg_bytes(width: int, height: int, value: int = 90) -> bytes:
    """A flat grey JPEG."""
    buf = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), value, np.uint8)).save(
        buf, format='JPEG')
    return buf.getvalue()


@pytest.fixture
def tiny_voc(tmp_path) -> str:
    """A 3-image VOC2012-like folder (20 classes) in ``tmp_path``."""
    root = str(tmp_path / 'VOC2012')
    for img_id, (size, objects) in TINY_VOC.items():
        width, height = size
        atomic_write(
            osp.join(root, 'JPEGImages', f'{img_id}.jpg'),
            jpeg_bytes(width, height))
        mask = np.zeros((height, width), np.uint8)
        for name, x1, y1, x2, y2, _ in objects:
            mask[y1 - 1:y2, x1 - 1:x2] = VOC_CLASSES.index(name) + 1
        fileio.save_label_png(
            osp.join(root, 'SegmentationClass', f'{img_id}.png'), mask)
        write_voc_xml(
            osp.join(root, 'Annotations', f'{img_id}.xml'), size, objects)
    ids = list(TINY_VOC)
    split_dir = osp.join(root, 'ImageSets', 'Segmentation')
    atomic_write(
        osp.join(split_dir, 'train.txt'), '\n'.join(ids[:2]).encode())
    atomic_write(osp.join(split_dir, 'val.txt'), ids[2].encode())
    return root
