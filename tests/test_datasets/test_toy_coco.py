"""The toy COCO generator, the COCO converter on it and COCOClsDataset:
category id -> contiguous label -> pixel value against the rendering."""
import json
import os
import os.path as osp

import numpy as np
import pytest

from helpers import load_tool
from mmwsss import fileio
from mmwsss.datasets import TOY_CLASSES, COCOClsDataset
from mmwsss.datasets.toy_coco import (
    TOY_COCO_CATEGORIES,
    make_toy_coco,
    render_toy_coco_image,
    toy_coco_image_id,
)
from mmwsss.utils import InvalidInputError

coco = load_tool('dataset_converters/coco.py', 'converter_coco_toy_data')
SMALL = dict(seed=2, num_train=30, num_val=10, size=48)


def _files(root):
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            with open(osp.join(folder, name), 'rb') as f:
                out[osp.relpath(osp.join(folder, name), root)] = f.read()
    return out


def _instances(root, split):
    with open(osp.join(root, 'annotations',
                       f'instances_{split}2014.json')) as f:
        return json.load(f)


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    root = make_toy_coco(str(tmp_path_factory.mktemp('toycoco')), **SMALL)
    coco.main([root])
    return root


def test_layout_and_annotation_kinds(converted):
    train = _instances(converted, 'train')
    assert len(train['images']) == 30
    names = [img['file_name'] for img in train['images']]
    first_id = toy_coco_image_id('train', 0)
    assert names[0] == f'COCO_train2014_{first_id:012d}.jpg'
    for name in names:
        assert osp.isfile(osp.join(converted, 'train2014', name))
    val_ids = {img['id'] for img in _instances(converted, 'val')['images']}
    assert not val_ids & {img['id'] for img in train['images']}
    # categories listed by name, not by id; ids not contiguous
    listed = [(c['id'], c['name']) for c in train['categories']]
    assert sorted(listed) == list(TOY_COCO_CATEGORIES)
    assert listed != sorted(listed)
    kinds = {'polygon': 0, 'rle_list': 0, 'rle_string': 0}
    for ann in train['annotations']:
        segm = ann['segmentation']
        if ann['iscrowd']:
            key = 'rle_string' if isinstance(segm['counts'],
                                             str) else 'rle_list'
            kinds[key] += 1
        else:
            assert isinstance(segm, list) and len(segm[0]) >= 8
            kinds['polygon'] += 1
    annotated = {ann['image_id'] for ann in train['annotations']}
    assert len(train['images']) - len(annotated) == 3  # every tenth image
    assert kinds['polygon'] > 30 and kinds['rle_list'] + kinds[
        'rle_string'] >= 2, kinds


def test_masks_follow_category_id_order(converted):
    """Converted pixel = label + 1, label = rank of the category id; crowd
    objects are 255; exactly the rendered visible masks."""
    label_of_id = {
        cat_id: i
        for i, (cat_id, _) in enumerate(sorted(TOY_COCO_CATEGORIES))
    }
    assert label_of_id[12] == TOY_CLASSES.index('cross') == 3
    crowd_seen = 0
    for split, count in (('train', 30), ('val', 10)):
        table = fileio.read_cls_labels(
            osp.join(converted, f'cls_labels_{split}.txt'), 6)
        ids = fileio.read_split(
            osp.join(converted, 'ImageSets', f'{split}2014.txt'))
        assert ids == sorted(table)
        for index in range(count):
            _, owner, labels, crowd = render_toy_coco_image(
                SMALL['seed'], split, index, SMALL['size'])
            expected = np.zeros(owner.shape, np.uint8)
            for k, label in enumerate(labels):
                expected[owner == k] = 255 if k == crowd else label + 1
            stem = f'COCO_{split}2014_{toy_coco_image_id(split, index):012d}'
            seg = fileio.read_label_png(
                osp.join(converted, 'SegmentationClass', f'{split}2014',
                         f'{stem}.png'), 6)
            np.testing.assert_array_equal(seg, expected)
            assert table.get(stem, []) == sorted(set(labels))
            crowd_seen += crowd >= 0
    assert crowd_seen >= 2


def test_dataset_labels_from_json_and_label_file_agree(converted):
    kwargs = dict(data_root=converted, metainfo=dict(classes=TOY_CLASSES))
    from_json = COCOClsDataset(**kwargs)
    from_txt = COCOClsDataset(
        ann_file='cls_labels_train.txt',
        seg_map_dir='SegmentationClass/train2014',
        **kwargs)
    assert len(from_json) == len(from_txt) == 27
    json_labels = {
        from_json.get_data_info(i)['img_id']:
        from_json.get_data_info(i)['gt_label']
        for i in range(len(from_json))
    }
    for i in range(len(from_txt)):
        info = from_txt.get_data_info(i)
        assert json_labels[info['img_id']] == info['gt_label']
        assert osp.isfile(info['img_path']) and osp.isfile(
            info['seg_map_path'])


def test_wrong_classes_are_refused(converted):
    with pytest.raises(
            InvalidInputError,
            match=r"names its categories .*'disc', 'square'.*"
            r"classes are \['person'"):
        COCOClsDataset(data_root=converted)
    with pytest.raises(InvalidInputError, match='order'):
        COCOClsDataset(
            data_root=converted,
            metainfo=dict(classes=tuple(reversed(TOY_CLASSES))))


def test_deterministic_resumable_and_refuses_other_data(tmp_path):
    first = make_toy_coco(str(tmp_path / 'a'), **SMALL)
    second = make_toy_coco(str(tmp_path / 'b'), **SMALL)
    assert _files(first) == _files(second)
    # an interrupted run: the manifest says incomplete, a file is missing
    image = osp.join(second, 'val2014', os.listdir(
        osp.join(second, 'val2014'))[0])
    os.remove(image)
    manifest = osp.join(second, 'toycoco.json')
    with open(manifest) as f:
        record = json.load(f)
    with open(manifest, 'w') as f:
        json.dump(dict(record, complete=False), f)
    make_toy_coco(second, **SMALL)
    assert _files(first) == _files(second)
    with pytest.raises(InvalidInputError, match='--overwrite'):
        make_toy_coco(second, **dict(SMALL, seed=5))
    with pytest.raises(ValueError, match='num_val >= 1'):
        make_toy_coco(str(tmp_path / 'c'), num_val=0)


def test_converter_refuses_splits_with_different_categories(converted,
                                                            tmp_path,
                                                            capsys):
    root = str(tmp_path / 'mixed')
    os.makedirs(osp.join(root, 'annotations'))
    for split in ('train', 'val'):
        data = _instances(converted, split)
        if split == 'val':
            data['categories'][0]['name'] = 'blob'
        with open(
                osp.join(root, 'annotations', f'instances_{split}2014.json'),
                'w') as f:
            json.dump(data, f)
    with pytest.raises(SystemExit) as exc:
        coco.main([root])
    assert exc.value.code == 2
    assert 'different categories' in capsys.readouterr().err


def test_command_line(tmp_path, capsys):
    tool = load_tool('misc/make_toy_coco.py', 'make_toy_coco_tool')
    out = str(tmp_path / 'cli')
    args = ['--out', out, '--num-train', '3', '--num-val', '1', '--size', '40']
    tool.main(args)
    printed = capsys.readouterr().out
    assert f'Toy COCO ready in {out} (' in printed
    assert printed.rstrip().endswith(
        f'. Next: python tools/dataset_converters/coco.py {out}')
    images = _instances(out, 'train')['images']
    assert [im['width'] for im in images] == [40, 40, 40]
    before = {n: os.stat(osp.join(out, 'train2014', n)).st_mtime_ns
              for n in os.listdir(osp.join(out, 'train2014'))}
    tool.main(args)  # complete: left as it is
    assert f'Toy COCO ready in {out} (' in capsys.readouterr().out
    assert before == {n: os.stat(osp.join(out, 'train2014', n)).st_mtime_ns
                      for n in os.listdir(osp.join(out, 'train2014'))}
    with pytest.raises(SystemExit) as exc:
        tool.main(['--out', out, '--num-train', '4'])
    assert exc.value.code == 2
    assert '--overwrite' in capsys.readouterr().err
