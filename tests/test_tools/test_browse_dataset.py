import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from helpers import ROOT, load_tool
from mmwsss import fileio
from mmwsss.datasets import TOY_CLASSES
from mmwsss.visualization import draw_boxes, label_overlay, mask_overlay

CONFIGS = osp.join(ROOT, 'configs')


@pytest.fixture(scope='module')
def tool():
    return load_tool('analysis/browse_dataset.py')


def run(tool, config, out, *options, phase='train', num=2):
    tool.main([
        osp.join(CONFIGS, config), '--output-dir', str(out), '--phase',
        phase, '--max', str(num), '--not-show', '--cfg-options', *options
    ])
    return sorted(os.listdir(out))


def test_cam_config_draws_labels(tool, toy_voc, tmp_path, capsys):
    names = run(tool, 'baseline/gap_r38tiny_toy.py', tmp_path,
                f'train_dataloader.dataset.data_root={toy_voc}')
    assert names == ['toy_000000.png', 'toy_000001.png']
    printed = capsys.readouterr().out
    labels = fileio.read_cls_labels(osp.join(toy_voc, 'cls_labels.txt'), 6)
    first = [TOY_CLASSES[k] for k in labels['toy_000000']]
    assert f'toy_000000: {", ".join(first)} ->' in printed
    fig = np.array(Image.open(tmp_path / names[0]))
    # one 64-px image tile, a legend line per image label
    assert fig.shape == (78 + 4 + 14 * len(first), 64, 3)


def test_box_config_draws_boxes_and_mask(tool, toy_voc, tmp_path):
    names = run(tool, 'bana/bana_bap_r38tiny_toy.py', tmp_path / 'train',
                f'train_dataloader.dataset.data_root={toy_voc}',
                num=1)
    fig = np.array(Image.open(tmp_path / 'train' / names[0]))
    # image with boxes | bg_mask, on the 96x96 crop
    assert fig.shape[1] == 2 * 96 + 4
    # the test pipeline keeps the image: compare with the XML's boxes
    names = run(tool, 'bana/bana_bap_r38tiny_toy.py', tmp_path / 'val',
                f'val_dataloader.dataset.data_root={toy_voc}',
                phase='val', num=1)
    fig = np.array(Image.open(tmp_path / 'val' / names[0]))
    image = fileio.read_rgb(osp.join(toy_voc, 'JPEGImages',
                                     'toy_000024.jpg'))
    objects = fileio.parse_voc_xml(
        osp.join(toy_voc, 'Annotations', 'toy_000024.xml'),
        {n: i for i, n in enumerate(TOY_CLASSES)})['objects']
    boxes = np.array([o['bbox'] for o in objects], np.float32)
    labels = [TOY_CLASSES.index(o['name']) for o in objects]
    np.testing.assert_array_equal(fig[14:78, :64],
                                  draw_boxes(image, boxes, labels,
                                             TOY_CLASSES))
    outside = np.ones((64, 64), bool)  # definite background
    for x1, y1, x2, y2 in boxes.astype(int):
        outside[y1:y2, x1:x2] = False
    np.testing.assert_array_equal(fig[14:78, 68:132],
                                  mask_overlay(image, outside))


def test_seg_config_draws_the_label_map(tool, toy_voc, tmp_path):
    names = run(tool, 'deeplab/deeplabv2_r18_toy_pseudo.py', tmp_path,
                f'val_dataloader.dataset.data_root={toy_voc}',
                phase='val', num=1)
    assert names == ['toy_000024.png']
    fig = np.array(Image.open(tmp_path / names[0]))
    image = fileio.read_rgb(osp.join(toy_voc, 'JPEGImages',
                                     'toy_000024.jpg'))
    gt = fileio.read_label_png(
        osp.join(toy_voc, 'SegmentationClass', 'toy_000024.png'), 6)
    # the test pipeline keeps the image as it is: tile 2 = GT overlay
    np.testing.assert_array_equal(fig[14:78, :64], image)
    np.testing.assert_array_equal(fig[14:78, 68:132],
                                  label_overlay(image, gt))


def test_missing_pseudo_labels_exit_2(tool, toy_voc, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        run(tool, 'deeplab/deeplabv2_r18_toy_pseudo.py', tmp_path,
            f'train_dataloader.dataset.data_root={toy_voc}',
            'train_dataloader.dataset.data_prefix.seg_map_path='
            f'{tmp_path}/none')
    assert exc.value.code == 2
    assert 'Pseudo-label folder' in capsys.readouterr().err
