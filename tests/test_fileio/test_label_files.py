import os
import os.path as osp

import numpy as np
import pytest
from mmseg.datasets import PascalVOCDataset
from PIL import Image

from mmwsss import fileio
from mmwsss.datasets import verify_images
from mmwsss.utils import InvalidInputError, MissingInputError
from mmwsss.utils.atomic_io import atomic_write


def test_palette_matches_mmseg_voc():
    palette = fileio.voc_palette()
    assert palette.shape == (256, 3) and palette.dtype == np.uint8
    assert palette[:21].tolist() == PascalVOCDataset.METAINFO['palette']
    assert palette[255].tolist() == [224, 224, 192]


def test_label_png_round_trip(tmp_path):
    mask = np.array([[0, 1, 20], [255, 3, 0]], np.uint8)
    path = str(tmp_path / 'a.png')
    fileio.save_label_png(path, mask)
    assert Image.open(path).mode == 'P'
    assert os.listdir(tmp_path) == ['a.png']  # no temporary file left
    out = fileio.read_label_png(path, 20)
    np.testing.assert_array_equal(out, mask)
    assert fileio.labels_from_mask(out) == [0, 2, 19]


def test_grey_png_is_accepted(tmp_path):
    path = str(tmp_path / 'grey.png')
    Image.fromarray(np.array([[0, 2]], np.uint8)).save(path)
    assert fileio.read_label_png(path, 20).tolist() == [[0, 2]]


def test_rgb_png_is_refused(tmp_path):
    path = str(tmp_path / 'rgb.png')
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(path)
    with pytest.raises(
            InvalidInputError, match=r'rgb\.png.*mode .RGB.*'
            r'voc_aug\.py'):
        fileio.read_label_png(path, 20)


def test_out_of_range_values_are_refused(tmp_path):
    path = str(tmp_path / 'bad.png')
    fileio.save_label_png(path, np.array([[0, 7, 255]], np.uint8))
    with pytest.raises(
            InvalidInputError,
            match=r'bad\.png holds values '
            r'\[7\] outside 0\.\.6'):
        fileio.read_label_png(path, 6)


def test_missing_and_corrupt_png(tmp_path):
    with pytest.raises(MissingInputError, match='nope.png'):
        fileio.read_label_png(str(tmp_path / 'nope.png'), 20)
    path = tmp_path / 'broken.png'
    path.write_bytes(b'not a png')
    with pytest.raises(InvalidInputError, match='broken.png cannot be read'):
        fileio.read_label_png(str(path), 20)


def test_parse_voc_xml(tmp_path, xml_writer):
    path = str(tmp_path / 'a.xml')
    xml_writer(path, (40, 30), [('cat', 1, 2, 40, 30, 1)])
    ann = fileio.parse_voc_xml(path, {'cat': 7})
    assert (ann['width'], ann['height']) == (40, 30)
    (obj, ) = ann['objects']  # a single <object> gives one box
    assert obj['label'] == 7 and obj['bbox'] == (1, 2, 40, 30)
    assert obj['difficult'] and not obj['truncated']


@pytest.mark.parametrize('box', [(5, 5, 41, 20), (5, 5, 5, 20),
                                 (-1, 5, 10, 20), (5, 9, 10, 31)])
def test_box_outside_image_is_refused(tmp_path, xml_writer, box):
    path = str(tmp_path / 'box.xml')
    xml_writer(path, (40, 30), [('cat', 1, 1, 3, 3, 0), ('dog', *box, 0)])
    with pytest.raises(
            InvalidInputError, match=r'box\.xml: object 1 \(dog\) has box'):
        fileio.parse_voc_xml(path, {'cat': 0, 'dog': 1})


def test_bad_xml(tmp_path, xml_writer):
    path = str(tmp_path / 'a.xml')
    xml_writer(path, (40, 30), [('unicorn', 1, 1, 3, 3, 0)])
    with pytest.raises(
            InvalidInputError,
            match="a.xml: object 0 has class "
            "'unicorn'.*metainfo"):
        fileio.parse_voc_xml(path, {'cat': 0})
    with open(path, 'w') as f:
        f.write('<annotation><object>')
    with pytest.raises(InvalidInputError, match='a.xml is not valid XML'):
        fileio.parse_voc_xml(path, {'cat': 0})
    with open(path, 'w') as f:
        f.write('<annotation></annotation>')
    with pytest.raises(InvalidInputError, match='a.xml has no <size>'):
        fileio.parse_voc_xml(path, {'cat': 0})


def test_read_split(tmp_path):
    path = tmp_path / 'train.txt'
    with pytest.raises(
            MissingInputError,
            match=r'train\.txt does not exist'
            r'.*voc_aug\.py.*make_toy_voc\.py'):
        fileio.read_split(str(path))
    path.write_text('a\n\nb\n')
    assert fileio.read_split(str(path)) == ['a', 'b']


def test_cls_labels_round_trip_and_validation(tmp_path):
    path = str(tmp_path / 'cls_labels.txt')
    text = fileio.format_cls_labels({'b': {3, 1}, 'a': [0]})
    assert text == 'a 0\nb 1 3\n'
    atomic_write(path, text.encode())
    assert fileio.read_cls_labels(path, 4) == {'a': [0], 'b': [1, 3]}
    with pytest.raises(InvalidInputError, match='cls_labels.txt line 2'):
        fileio.read_cls_labels(path, 3)


def test_verify_images(tmp_path):
    img = str(tmp_path / 'a.jpg')
    seg = str(tmp_path / 'a.png')
    Image.fromarray(np.zeros((8, 10, 3), np.uint8)).save(img)
    fileio.save_label_png(seg, np.zeros((8, 10), np.uint8))
    verify_images([dict(img_path=img, seg_map_path=seg)], 20)
    fileio.save_label_png(seg, np.zeros((9, 10), np.uint8))
    with pytest.raises(
            InvalidInputError,
            match=r'a\.png is 10x9 but image '
            r'.*a\.jpg is 10x8'):
        verify_images([dict(img_path=img, seg_map_path=seg)], 20)
    with open(img, 'r+b') as f:
        f.truncate(osp.getsize(img) // 2)
    with pytest.raises(InvalidInputError, match='a.jpg is unreadable'):
        verify_images([dict(img_path=img)])
