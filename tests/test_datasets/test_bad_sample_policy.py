"""``on_bad_sample`` of the image-label datasets: stop at a missing or
corrupt image (default) or drop such images with a warning listing them."""
import io
import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmwsss.datasets import (
    COCO_CAT_IDS,
    TOY_CLASSES,
    COCOClsDataset,
    VOCBoxDataset,
    VOCClsDataset,
    data_checks,
)
from mmwsss.datasets.toy_voc import make_toy_voc
from mmwsss.utils import InvalidInputError, MissingInputError
from mmwsss.utils.atomic_io import atomic_write


@pytest.fixture
def damaged_toy(tmp_path):
    """A toy VOC with one truncated JPEG (the 4th) and one missing (the
    7th)."""
    root = make_toy_voc(
        str(tmp_path / 'toy'), seed=0, num_train=8, num_val=2, size=32)
    with open(osp.join(root, 'ImageSets', 'Segmentation', 'train.txt')) as f:
        ids = f.read().split()
    with open(osp.join(root, 'JPEGImages', f'{ids[3]}.jpg'), 'r+b') as f:
        f.truncate(200)
    os.remove(osp.join(root, 'JPEGImages', f'{ids[6]}.jpg'))
    return root, ids


@pytest.fixture
def warnings_logged(monkeypatch):
    messages = []
    monkeypatch.setattr(data_checks, 'print_log',
                        lambda msg, *args, **kwargs: messages.append(msg))
    return messages


def jpeg_bytes(width, height):
    buf = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 90, np.uint8)).save(
        buf, format='JPEG')
    return buf.getvalue()


def toy_cls(root, **kwargs):
    return VOCClsDataset(
        data_root=root, split='train', label_source='file',
        metainfo=dict(classes=TOY_CLASSES), **kwargs)


def test_default_policy_keeps_the_list_and_verify_names_the_file(
        damaged_toy):
    root, ids = damaged_toy
    dataset = toy_cls(root)  # nothing decoded: the loader will stop there
    assert len(dataset) == 8 and dataset.skipped_ids == []
    with pytest.raises(InvalidInputError, match=f'{ids[3]}.jpg'):
        toy_cls(root, verify_images=True)


def test_skip_drops_bad_images_with_a_warning(damaged_toy, warnings_logged):
    root, ids = damaged_toy
    dataset = toy_cls(root, on_bad_sample='skip')
    assert dataset.skipped_ids == [ids[3], ids[6]]
    assert [dataset.get_data_info(i)['img_id']
            for i in range(len(dataset))] == [
                i for i in ids if i not in (ids[3], ids[6])]
    (warning, ) = warnings_logged
    assert 'dropped 2 of 8' in warning
    assert f'{ids[3]}: Image' in warning and 'corrupt' in warning
    assert f'{ids[6]}: Image' in warning and 'does not exist' in warning


def test_skip_on_the_box_dataset(tiny_voc, warnings_logged):
    victim = osp.join(tiny_voc, 'JPEGImages', '2007_000002.jpg')
    atomic_write(victim, b'<html>not found</html>')
    dataset = VOCBoxDataset(data_root=tiny_voc, on_bad_sample='skip')
    assert dataset.skipped_ids == ['2007_000002']
    assert [dataset.get_data_info(i)['img_id']
            for i in range(len(dataset))] == ['2007_000001']


def test_skip_on_the_coco_dataset(tmp_path, warnings_logged):
    images = [
        dict(id=i, file_name=f'COCO_train2014_{i:012d}.jpg', height=8,
             width=8) for i in (1, 2, 3)
    ]
    annotations = [
        dict(id=10 + i, image_id=i, category_id=COCO_CAT_IDS[i],
             iscrowd=0) for i in (1, 2, 3)
    ]
    atomic_write(
        str(tmp_path / 'annotations' / 'instances_train2014.json'),
        json.dumps(dict(images=images, annotations=annotations)).encode())
    for i in (1, 3):  # image 2 is missing
        atomic_write(
            str(tmp_path / 'train2014' / images[i - 1]['file_name']),
            jpeg_bytes(8, 8))
    dataset = COCOClsDataset(data_root=str(tmp_path), on_bad_sample='skip')
    assert dataset.skipped_ids == ['COCO_train2014_000000000002']
    assert len(dataset) == 2
    with pytest.raises(MissingInputError, match='000000000002.jpg'):
        COCOClsDataset(data_root=str(tmp_path), verify_images=True)


def test_unknown_policy_names_the_choices(damaged_toy):
    with pytest.raises(InvalidInputError, match=r"'error', 'skip'.*drops"):
        toy_cls(damaged_toy[0], on_bad_sample='ignore')
