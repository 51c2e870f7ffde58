import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from helpers import load_tool
from mmwsss import fileio
from mmwsss.datasets import TOY_CLASSES, make_toy_voc, render_toy_sample
from mmwsss.utils import InvalidInputError

SMALL = dict(seed=3, num_train=5, num_val=2, size=48)


def _files(root):
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                out[osp.relpath(path, root)] = f.read()
    return out


def _union_box(boxes):
    boxes = np.array(boxes)
    return (*boxes[:, :2].min(0), *boxes[:, 2:].max(0))


def _mask_box(mask):
    ys, xs = np.nonzero(mask)
    return (xs.min() + 1, ys.min() + 1, xs.max() + 1, ys.max() + 1)


def test_layout(toy_voc):
    split_dir = osp.join(toy_voc, 'ImageSets', 'Segmentation')
    train = fileio.read_split(osp.join(split_dir, 'train.txt'))
    val = fileio.read_split(osp.join(split_dir, 'val.txt'))
    assert len(train) == 24 and len(val) == 8 and not set(train) & set(val)
    for img_id in train + val:
        img = Image.open(osp.join(toy_voc, 'JPEGImages', f'{img_id}.jpg'))
        seg = Image.open(
            osp.join(toy_voc, 'SegmentationClass', f'{img_id}.png'))
        assert img.size == seg.size == (64, 64)
        assert img.mode == 'RGB' and seg.mode == 'P'
        assert osp.isfile(osp.join(toy_voc, 'Annotations', f'{img_id}.xml'))
    with open(osp.join(toy_voc, 'classes.txt')) as f:
        assert tuple(f.read().split()) == TOY_CLASSES
    with open(osp.join(toy_voc, 'toyvoc.json')) as f:
        assert json.load(f)['complete'] is True


def test_labels_agree_across_masks_xml_and_label_file(toy_voc):
    table = fileio.read_cls_labels(
        osp.join(toy_voc, 'cls_labels.txt'), len(TOY_CLASSES))
    class_to_idx = {c: i for i, c in enumerate(TOY_CLASSES)}
    assert len(table) == 32
    for img_id, labels in table.items():
        assert 1 <= len(labels) <= 3
        seg = fileio.read_label_png(
            osp.join(toy_voc, 'SegmentationClass', f'{img_id}.png'),
            len(TOY_CLASSES))
        assert (seg == 255).any()  # boundary ring on by default
        ann = fileio.parse_voc_xml(
            osp.join(toy_voc, 'Annotations', f'{img_id}.xml'), class_to_idx)
        assert fileio.labels_from_mask(seg) == labels
        assert sorted({o['label'] for o in ann['objects']}) == labels
        for label in labels:  # the ring trims the class region only
            boxes = [o['bbox'] for o in ann['objects'] if o['label'] == label]
            x1, y1, x2, y2 = _union_box(boxes)
            mx1, my1, mx2, my2 = _mask_box(seg == label + 1)
            assert x1 <= mx1 and y1 <= my1 and mx2 <= x2 and my2 <= y2
        for x1, y1, x2, y2 in (map(int, o['bbox']) for o in ann['objects']):
            inside = seg[y1 - 1:y2, x1 - 1:x2] > 0  # tight: edges touch it
            assert inside[0].any() and inside[-1].any()
            assert inside[:, 0].any() and inside[:, -1].any()


def test_boxes_match_mask_extents_without_ring():
    for i in range(30):
        img, seg, objects = render_toy_sample(
            np.random.default_rng([1, i]), 64, boundary=False)
        assert img.shape == (64, 64, 3) and img.dtype == np.uint8
        assert set(np.unique(seg)) <= set(range(7))
        assert 1 <= len(objects) <= 3
        for label in {o['label'] for o in objects}:
            boxes = [o['bbox'] for o in objects if o['label'] == label]
            assert _mask_box(seg == label + 1) == _union_box(boxes)


def test_same_seed_is_byte_identical(tmp_path):
    a = _files(make_toy_voc(str(tmp_path / 'a'), **SMALL))
    b = _files(make_toy_voc(str(tmp_path / 'b'), **SMALL))
    c = _files(make_toy_voc(str(tmp_path / 'c'), **dict(SMALL, seed=4)))
    assert a == b
    assert a.keys() == c.keys()
    assert a['JPEGImages/toy_000000.jpg'] != c['JPEGImages/toy_000000.jpg']


def test_rerun_skips_resumes_and_refuses(tmp_path):
    out = str(tmp_path / 'toy')
    make_toy_voc(out, **SMALL)
    reference = _files(out)
    manifest = osp.join(out, 'toyvoc.json')
    stamp = os.stat(manifest).st_mtime_ns
    make_toy_voc(out, **SMALL)  # complete: nothing is rewritten
    assert os.stat(manifest).st_mtime_ns == stamp

    os.remove(osp.join(out, 'JPEGImages', 'toy_000003.jpg'))
    with open(manifest) as f:
        state = json.load(f)
    with open(manifest, 'w') as f:
        json.dump(dict(state, complete=False), f)
    make_toy_voc(out, **SMALL)  # interrupted: resumed
    assert _files(out) == reference

    with pytest.raises(
            InvalidInputError, match=r'toy is not empty.*'
            r'--overwrite'):
        make_toy_voc(out, **dict(SMALL, num_train=6))
    make_toy_voc(out, **dict(SMALL, num_train=6), overwrite=True)
    assert len(
        fileio.read_split(
            osp.join(out, 'ImageSets', 'Segmentation', 'train.txt'))) == 6


def test_refuses_foreign_folder(tmp_path):
    (tmp_path / 'notes.txt').write_text('mine')
    with pytest.raises(InvalidInputError, match='not empty'):
        make_toy_voc(str(tmp_path), **SMALL)


def test_command_line(tmp_path, capsys):
    tool = load_tool('misc/make_toy_voc.py', 'make_toy_voc_tool')
    out = str(tmp_path / 'cli')
    tool.main([
        '--out', out, '--num-train', '3', '--num-val', '1', '--size', '40',
        '--no-boundary'
    ])
    seg = fileio.read_label_png(
        osp.join(out, 'SegmentationClass', 'toy_000000.png'), 6)
    assert not (seg == 255).any()
    with pytest.raises(SystemExit) as exc:
        tool.main(['--out', out, '--num-train', '4'])
    assert exc.value.code == 2
    assert '--overwrite' in capsys.readouterr().err
    # a bad size: the message names the option, no traceback, no folder
    with pytest.raises(SystemExit) as exc:
        tool.main(['--out', str(tmp_path / 'small'), '--size', '5'])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert '--size' in err and 'got 2000, 300, 5' in err
    assert 'Traceback' not in err
    assert not osp.exists(tmp_path / 'small')
