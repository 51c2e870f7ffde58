import json
import os.path as osp
import re

import numpy as np
import pytest

from helpers import ROOT, load_tool
from mmwsss import fileio
from mmwsss.fileio import save_cams
from mmwsss.ops import cams_to_label

TOY_CFG = osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toy.py')
SEG_CFG = osp.join(ROOT, 'configs', 'deeplab', 'deeplabv2_r18_toy_pseudo.py')
C = 7  # background + 6 toy classes


@pytest.fixture(scope='module')
def tool():
    return load_tool('analysis/confusion_matrix.py')


def split_ids(root, split):
    path = osp.join(root, 'ImageSets', 'Segmentation', f'{split}.txt')
    with open(path) as f:
        return f.read().split()


def gt_of(root, img_id):
    return fileio.read_label_png(
        osp.join(root, 'SegmentationClass', f'{img_id}.png'), 6)


def dense_counts(pairs, columns):
    """Reference: +1 per pixel (np.add.at), GT 255 skipped, pred 255 -> C."""
    counts = np.zeros((C, columns), np.int64)
    for pred, gt in pairs:
        keep = gt != 255
        cols = np.where(pred == 255, C, pred)[keep].astype(np.int64)
        np.add.at(counts, (gt[keep].astype(np.int64), cols), 1)
    return counts


def write_predictions(root, ids, out_dir, seed=0):
    """GT with a shifted copy, random class noise and an ignored band."""
    rng = np.random.default_rng(seed)
    pairs = []
    for img_id in ids:
        gt = gt_of(root, img_id)
        pred = np.roll(np.where(gt == 255, 0, gt), 2, axis=1).astype(np.uint8)
        noise = rng.random(gt.shape) < 0.05
        pred[noise] = rng.integers(0, C, noise.sum())
        pred[:3] = 255
        fileio.save_label_png(osp.join(out_dir, f'{img_id}.png'), pred)
        pairs.append((pred, gt))
    return pairs


def test_counts_against_a_dense_reference(tool, toy_voc, tmp_path, capsys):
    ids = split_ids(toy_voc, 'val')
    pairs = write_predictions(toy_voc, ids, str(tmp_path / 'pred'))
    out = str(tmp_path / 'res' / 'cm.png')
    tool.main([
        SEG_CFG, str(tmp_path / 'pred'), '--out', out, '--normalize',
        '--cfg-options', f'test_dataloader.dataset.data_root={toy_voc}'
    ])
    ref = dense_counts(pairs, C + 1)
    counts = np.load(tmp_path / 'res' / 'cm.npy')
    np.testing.assert_array_equal(counts, ref)
    with open(tmp_path / 'res' / 'cm.json') as f:
        res = json.load(f)
    assert res['columns'][-1] == 'ignored' and res['classes'][0] == \
        'background' and len(res['classes']) == C
    # IoU = TP / (GT + Pred - TP); ignored pixels are misses of their row
    tp = np.diag(ref[:, :C]).astype(np.float64)
    union = ref.sum(1) + ref[:, :C].sum(0) - tp
    iou = np.where(union > 0, tp / np.maximum(union, 1), np.nan) * 100
    assert res['mIoU'] == pytest.approx(np.nanmean(iou))
    np.testing.assert_allclose(res['normalized'][1],
                               ref[1] / ref[1].sum())
    assert res['num_images'] == len(ids)
    assert osp.getsize(out) > 0
    assert f'{len(ids)} images, mIoU {np.nanmean(iou):.2f}' in \
        capsys.readouterr().out


def test_train_split_and_cam_files(tool, toy_voc, tmp_path):
    # a CAM-classifier config, --split train, CAM files + threshold
    ids = split_ids(toy_voc, 'train')
    rng = np.random.default_rng(1)
    pairs = []
    for img_id in ids:
        gt = gt_of(toy_voc, img_id)
        keys = np.array(fileio.labels_from_mask(gt), np.int64)
        cams = rng.random((len(keys), ) + gt.shape).astype(np.float32)
        save_cams(str(tmp_path / 'cams' / f'{img_id}.npz'), cams, keys)
        with np.load(tmp_path / 'cams' / f'{img_id}.npz') as data:
            stored = data['cams'].astype(np.float32)  # float16 on disk
        pairs.append((cams_to_label(stored, keys, 0.6), gt))
    options = ['--cfg-options', f'test_dataloader.dataset.data_root={toy_voc}']
    tool.main([TOY_CFG, str(tmp_path / 'cams'), '--out',
               str(tmp_path / 'cm.png'), '--split', 'train',
               '--cam-bg-threshold', '0.6', *options])
    np.testing.assert_array_equal(np.load(tmp_path / 'cm.npy'),
                                  dense_counts(pairs, C))  # no 255
    # the mmseg config reads the same train ids through its id list
    write_predictions(toy_voc, ids, str(tmp_path / 'pred'))
    tool.main([SEG_CFG, str(tmp_path / 'pred'), '--out',
               str(tmp_path / 'seg.png'), '--split', 'train', *options])
    assert json.load(open(tmp_path / 'seg.json'))['num_images'] == len(ids)


def test_clear_errors(tool, toy_voc, tmp_path, capsys):
    options = ['--cfg-options', f'test_dataloader.dataset.data_root={toy_voc}']
    ids = split_ids(toy_voc, 'train')
    write_predictions(toy_voc, ids, str(tmp_path / 'pred'))
    for argv, message in [
        # predictions of the train split scored on val
        ([TOY_CFG, str(tmp_path / 'pred')], 'No prediction .*--split train'),
        ([TOY_CFG, str(tmp_path / 'none')], 'none does not exist'),
    ]:
        with pytest.raises(SystemExit) as exc:
            tool.main([*argv, '--out', str(tmp_path / 'x.png'), *options])
        assert exc.value.code == 2
        assert re.search(message, capsys.readouterr().err)
