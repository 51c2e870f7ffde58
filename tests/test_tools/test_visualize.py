import os.path as osp

import numpy as np
import pytest
from PIL import Image

from helpers import ROOT, load_tool
from mmwsss import fileio
from mmwsss.fileio import save_cams
from mmwsss.visualization import cam_overlay, jet, label_overlay, make_panel


def test_overlays_and_panel():
    image = np.full((10, 12, 3), 100, np.uint8)
    assert jet(np.array([0.0, 1.0])).tolist() == [[0, 0, 127], [127, 0, 0]]
    cam = np.zeros((10, 12))
    cam[:, 6:] = 1.0
    over = cam_overlay(image, cam)
    assert over.shape == image.shape and over[0, 0, 2] > over[0, 11, 2]
    label = np.zeros((10, 12), np.uint8)
    label[2:4, 2:4] = 1
    label[5, 5] = 255
    lab = label_overlay(image, label)
    assert (lab[0, 0] == 100).all()  # background keeps the image
    assert lab[2, 2, 0] > 100  # class 1 is dark red
    assert (lab[5, 5] == 193).all()  # ignore: 0.4 * 100 + 0.6 * 255
    panel = make_panel(image, cam[None], ['disc'], label, label)
    assert panel.shape == (24, 4 * 12 + 3 * 4, 3)
    with pytest.raises(ValueError, match='sizes differ'):
        cam_overlay(image, np.zeros((3, 3)))


def test_visualize_tool(toy_voc, tmp_path):
    visualize = load_tool('analysis/visualize.py')
    cam_dir, out_dir = tmp_path / 'cams', tmp_path / 'panels'
    gt = fileio.read_label_png(
        osp.join(toy_voc, 'SegmentationClass', 'toy_000000.png'), 6)
    keys = np.array(fileio.labels_from_mask(gt), np.int64)
    save_cams(str(cam_dir / 'toy_000000.npz'),
              np.stack([(gt == k + 1).astype(np.float32) for k in keys]),
              keys)
    cfg = osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toy.py')
    visualize.main([
        cfg, '--ids', 'toy_000000', '--out-dir', str(out_dir), '--cams',
        str(cam_dir), '--pseudo', str(tmp_path / 'none'), '--cfg-options',
        f'test_dataloader.dataset.data_root={toy_voc}'
    ])
    panel = np.array(Image.open(out_dir / 'toy_000000.png'))
    # image + one CAM per class + GT, 64 px wide each, 4 px gaps
    tiles = 1 + len(keys) + 1
    assert panel.shape == (64 + 14, tiles * 64 + (tiles - 1) * 4, 3)


def test_visualize_warns_about_missing_stage_outputs(toy_voc, tmp_path,
                                                     capsys):
    visualize = load_tool('analysis/visualize.py')
    cfg = osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toy.py')
    opts = ['--cfg-options', f'test_dataloader.dataset.data_root={toy_voc}']
    work_dir, out_dir = tmp_path / 'run', tmp_path / 'panels'
    pseudo_dir = work_dir / 'refine' / 'pseudo'
    gt = fileio.read_label_png(
        osp.join(toy_voc, 'SegmentationClass', 'toy_000001.png'), 6)
    fileio.save_label_png(str(pseudo_dir / 'toy_000001.png'), gt)

    # pseudo labels for one of two images, no CAM stage output at all
    visualize.main([
        cfg, '--ids', 'toy_000000', 'toy_000001', '--out-dir',
        str(out_dir), '--work-dir', str(work_dir), *opts
    ])
    err = capsys.readouterr().err
    cams = work_dir / 'cams' / 'cams'
    assert f'no CAMs: {cams} does not exist' in err
    assert (f'tools/run_stage.py {cfg} cams --work-dir {work_dir}'
            in err)
    assert (f'no pseudo labels: {pseudo_dir} has none for 1 of the 2 '
            'images (e.g. toy_000000)') in err
    assert (f'tools/run_stage.py {cfg} refine --work-dir {work_dir}'
            in err)
    # only the image with something to show is drawn: image | pseudo | GT
    assert sorted(p.name for p in out_dir.iterdir()) == ['toy_000001.png']
    panel = np.array(Image.open(out_dir / 'toy_000001.png'))
    assert panel.shape == (64 + 14, 3 * 64 + 2 * 4, 3)

    # nothing at all to draw: a message and exit status 2, no panels
    with pytest.raises(SystemExit) as stop:
        visualize.main([
            cfg, '--ids', 'toy_000000', '--out-dir',
            str(tmp_path / 'empty'), '--work-dir', str(work_dir), *opts
        ])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert 'Nothing to draw' in err and 'run_pipeline.py' in err
    assert not (tmp_path / 'empty').exists()
