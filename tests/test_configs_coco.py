"""The COCO stage-5 configs: the category id -> train id table of the COCO
2014 DeepLab config equals what the converter writes and COCOClsDataset
reads; the ACR recipe; the toy COCO DeepLab's classes."""
import json
import os.path as osp

import numpy as np
from mmengine.config import Config

from helpers import ROOT, load_tool
from mmwsss import fileio
from mmwsss.datasets import (
    COCO_CAT_IDS,
    COCO_CLASSES,
    TOY_CLASSES,
    COCOClsDataset,
)
from mmwsss.utils.atomic_io import atomic_write

coco = load_tool('dataset_converters/coco.py', 'converter_coco_configs')
COCO_SEG = osp.join(ROOT, 'configs', 'deeplab',
                    'deeplabv2_r101_coco_pseudo.py')
TOY_SEG = osp.join(ROOT, 'configs', 'deeplab',
                   'deeplabv2_r18_toycoco_pseudo.py')


def _real_coco_json(root):
    """One 6x6 image per COCO category, a square of that category; the
    categories listed from the highest id down."""
    images, annotations = [], []
    for i, cat_id in enumerate(COCO_CAT_IDS):
        images.append(
            dict(
                id=1000 + i,
                file_name=f'COCO_train2014_{1000 + i:012d}.jpg',
                height=6,
                width=6))
        annotations.append(
            dict(
                id=i + 1,
                image_id=1000 + i,
                category_id=cat_id,
                iscrowd=0,
                area=16.0,
                segmentation=[[1, 1, 5, 1, 5, 5, 1, 5]]))
    categories = [
        dict(id=c, name=n, supercategory='thing')
        for c, n in reversed(list(zip(COCO_CAT_IDS, COCO_CLASSES)))
    ]
    atomic_write(
        osp.join(root, 'annotations', 'instances_train2014.json'),
        json.dumps(
            dict(
                images=images,
                annotations=annotations,
                categories=categories)).encode())


def test_train_id_table_matches_converter_and_dataset(tmp_path):
    cfg = Config.fromfile(COCO_SEG)
    table = [tuple(row) for row in cfg.coco_train_ids]
    assert [c for c, _, _ in table] == list(COCO_CAT_IDS)
    assert [name for _, _, name in table] == list(COCO_CLASSES)
    assert [t for _, t, _ in table] == list(range(1, 81))
    classes = ('background', ) + COCO_CLASSES
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert tuple(cfg[loader].dataset.metainfo.classes) == classes
    assert cfg.model.decode_head.num_classes == 81

    root = str(tmp_path / 'coco')
    _real_coco_json(root)
    coco.main([root, '--splits', 'train'])
    labels = fileio.read_cls_labels(
        osp.join(root, 'cls_labels_train.txt'), 80)
    dataset = COCOClsDataset(data_root=root)
    from_json = {
        dataset.get_data_info(i)['img_id']: dataset.get_data_info(i)
        ['gt_label']
        for i in range(len(dataset))
    }
    for i, (cat_id, train_id, _) in enumerate(table):
        stem = f'COCO_train2014_{1000 + i:012d}'
        seg = fileio.read_label_png(
            osp.join(root, 'SegmentationClass', 'train2014', f'{stem}.png'),
            80)
        assert set(np.unique(seg[1:5, 1:5]).tolist()) == {train_id}, cat_id
        assert labels[stem] == from_json[stem] == [train_id - 1]


def test_acr_recipe_and_val_split():
    cfg = Config.fromfile(COCO_SEG)
    assert cfg.optim_wrapper.optimizer.lr == 5e-4
    assert cfg.optim_wrapper.optimizer.weight_decay == 5e-5
    assert cfg.train_dataloader.batch_size == 8
    assert cfg.train_cfg.max_iters == round(30 * 82081 / 8)
    assert cfg.param_scheduler[0].end == cfg.train_cfg.max_iters
    train, val = cfg.train_dataloader.dataset, cfg.val_dataloader.dataset
    assert train.ann_file == 'ImageSets/train2014.txt'
    assert train.data_prefix.img_path == 'train2014'
    assert val.ann_file == 'ImageSets/val2014.txt'
    assert val.data_prefix.seg_map_path == 'SegmentationClass/val2014'
    assert val.type == 'PseudoLabelSegDataset'


def test_toy_coco_segmentation_config():
    cfg = Config.fromfile(TOY_SEG)
    assert cfg.model.decode_head.num_classes == 7
    for loader in ('train_dataloader', 'val_dataloader'):
        dataset = cfg[loader].dataset
        assert dataset.data_root == 'data/toycoco'
        assert tuple(dataset.metainfo.classes) == ('background', ) + \
            TOY_CLASSES
    assert cfg.train_dataloader.dataset.data_prefix.seg_map_path.endswith(
        'work_dirs/gap_r38tiny_toycoco/refine/pseudo')
