"""PredictionOverlayHook: the drawings of ``tools/test.py --show-dir`` for
CAM and segmentation samples, written and shown."""
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmpretrain.structures import DataSample
from mmseg.structures import SegDataSample
from mmseg.visualization import SegLocalVisualizer
from PIL import Image

from mmwsss import fileio
from mmwsss.registry import HOOKS

TOY_FG = ('disc', 'square', 'triangle', 'cross', 'ring', 'star')


def fake_runner(classes, shown):
    dataset = SimpleNamespace(metainfo=dict(classes=classes))
    visualizer = SimpleNamespace(
        show=lambda img, win_name, wait_time: shown.append(
            (win_name, img.shape)))
    return SimpleNamespace(
        test_dataloader=SimpleNamespace(dataset=dataset),
        visualizer=visualizer)


def toy_paths(root, img_id):
    return (osp.join(root, 'JPEGImages', f'{img_id}.jpg'),
            osp.join(root, 'SegmentationClass', f'{img_id}.png'))


def test_cam_samples_written_and_shown(toy_voc, tmp_path):
    img_path, seg_path = toy_paths(toy_voc, 'toy_000000')
    gt = fileio.read_label_png(seg_path, 6)
    keys = np.array(fileio.labels_from_mask(gt))
    sample = DataSample(metainfo=dict(img_path=img_path,
                                      seg_map_path=seg_path))
    sample.set_field(torch.as_tensor(np.stack(
        [(gt == k + 1).astype(np.float32) for k in keys])), 'cams')
    sample.set_field(torch.as_tensor(keys), 'cam_labels')
    sample.set_pred_score(torch.full((6, ), 0.9))
    shown = []
    hook = HOOKS.build(
        dict(type='PredictionOverlayHook', out_dir=str(tmp_path),
             show=True))
    hook.before_test(fake_runner(TOY_FG, shown))
    hook.after_test_iter(None, 0, None, [sample])
    drawn = np.array(Image.open(tmp_path / 'toy_000000.png'))
    tiles = 1 + len(keys) + 1  # image, a CAM per class, GT
    # 14-px titles, legend rows below (one per GT value but background:
    # the classes and 'ignore')
    legend_rows = len(set(np.unique(gt).tolist()) - {0})
    assert legend_rows >= len(keys)
    assert drawn.shape == (64 + 14 + 4 + 14 * legend_rows,
                           tiles * 64 + (tiles - 1) * 4, 3)
    assert shown == [('toy_000000', drawn.shape)]
    assert hook.count == 1


def test_segmentation_samples_drawn_by_mmseg(toy_voc, tmp_path,
                                             monkeypatch):
    img_path, seg_path = toy_paths(toy_voc, 'toy_000001')
    gt = torch.as_tensor(fileio.read_label_png(seg_path, 6)[None]).long()
    sample = SegDataSample(metainfo=dict(img_path=img_path))
    sample.gt_sem_seg = PixelData(data=gt)
    sample.pred_sem_seg = PixelData(data=torch.zeros_like(gt))
    shown = []
    monkeypatch.setattr(SegLocalVisualizer, 'show',
                        lambda self, img, win_name, wait_time: shown.append(
                            win_name))
    hook = HOOKS.build(
        dict(type='PredictionOverlayHook', out_dir=str(tmp_path),
             show=True))
    hook.before_test(fake_runner(('background', ) + TOY_FG, []))
    hook.after_test_iter(None, 0, None, [sample])
    drawn = np.array(Image.open(tmp_path / 'toy_000001.png'))
    # image | ground truth | prediction, mmseg's layout
    assert drawn.shape == (64, 3 * 64, 3)
    image = np.array(Image.open(img_path).convert('RGB'))
    assert np.abs(drawn[:, :64].astype(int) - image).max() <= 1
    # background is blended half with black: an all-background prediction
    # is the half image (but where mmseg writes the class name); the
    # ground truth's shapes have other colours
    def near_half_image(tile):
        return np.abs(tile.astype(int) - image // 2).max(axis=-1) <= 2

    shapes = (gt[0] > 0).numpy() & (gt[0] < 255).numpy()
    assert shapes.any()
    assert near_half_image(drawn[:, 128:]).mean() > 0.8
    assert near_half_image(drawn[:, 64:128])[shapes].mean() < 0.1
    assert shown == ['toy_000001']


def test_needs_a_target_and_known_outputs(toy_voc, tmp_path):
    with pytest.raises(ValueError, match='out_dir or show'):
        HOOKS.build(dict(type='PredictionOverlayHook'))
    hook = HOOKS.build(
        dict(type='PredictionOverlayHook', out_dir=str(tmp_path)))
    hook.before_test(fake_runner(TOY_FG, []))
    img_path, _ = toy_paths(toy_voc, 'toy_000000')
    with pytest.raises(ValueError, match='returned neither'):
        hook.after_test_iter(None, 0, None,
                             [DataSample(metainfo=dict(img_path=img_path))])
