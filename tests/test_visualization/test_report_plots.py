"""The report's matplotlib figures: threshold curve, per-class IoU bars,
panel grid; and the display check of ``tools/test.py --show``."""
import numpy as np
import pytest
from PIL import Image

from mmwsss.fileio import voc_palette
from mmwsss.visualization import (
    display_available,
    plot_class_iou_bars,
    plot_panel_grid,
    plot_threshold_curve,
)

RED, PURPLE = (214, 39, 40), (148, 103, 189)  # tab:red, tab:purple


def rgb(path):
    return np.array(Image.open(path).convert('RGB'))


def has_colour(image, colour):
    return bool((image == colour).all(axis=-1).any())


def test_threshold_curve_marks_best_and_fixed(tmp_path):
    taus, miou = [0.1, 0.2, 0.3, 0.4], [20.0, 35.0, None, 25.0]
    both = tmp_path / 'both.png'
    plot_threshold_curve(str(both), taus, miou, best=(0.2, 35.0),
                         fixed=(0.25, 30.1), fscore=[10, 12, 14, 11])
    image = rgb(both)
    assert image.shape == (450, 700, 3)
    assert has_colour(image, RED) and has_colour(image, PURPLE)
    best_only = tmp_path / 'best.png'
    plot_threshold_curve(str(best_only), taus, miou, best=(0.2, 35.0))
    image = rgb(best_only)
    assert has_colour(image, RED) and not has_colour(image, PURPLE)
    with pytest.raises(ValueError, match='one mIoU per threshold'):
        plot_threshold_curve(str(tmp_path / 'x.png'), taus, miou[:2])


def test_class_iou_bars_grow_with_classes(tmp_path):
    few = {'cams': {'background': 80.0, 'disc': 40.0}}
    plot_class_iou_bars(str(tmp_path / 'few.png'), few)
    many_classes = {f'class_{i}': float(i) for i in range(40)}
    plot_class_iou_bars(
        str(tmp_path / 'many.png'), {
            'cams': many_classes,
            'refine': dict(many_classes, class_3=None),
            'segment single': {'_background_': 90.0}
        },
        classes=['background', 'class_0'])
    few_w = Image.open(tmp_path / 'few.png').size[0]
    many_w = Image.open(tmp_path / 'many.png').size[0]
    assert few_w == 800 and many_w > 2 * few_w
    with pytest.raises(ValueError, match='no per-class IoU'):
        plot_class_iou_bars(str(tmp_path / 'x.png'), {'cams': {}})


def label(h, w, value, box):
    out = np.zeros((h, w), np.uint8)
    y1, x1, y2, x2 = box
    out[y1:y2, x1:x2] = value
    return out


def test_panel_grid_columns_missing_tiles_and_legend(tmp_path):
    image = np.full((48, 64, 3), 120, np.uint8)
    cam = np.linspace(0, 1, 48 * 64).reshape(48, 64)
    gt = label(48, 64, 1, (5, 5, 30, 30))  # disc
    rows = [
        dict(id='a', image=image, cam=cam, pseudo=gt, gt=gt),
        dict(id='b', image=image, cam=cam, gt=label(48, 64, 255,
                                                    (0, 0, 4, 4))),
    ]
    path = tmp_path / 'panels.png'
    plot_panel_grid(str(path), rows, ['disc', 'square', 'triangle'])
    drawn = rgb(path)
    # 4 columns (no prediction anywhere), 2 rows of 2.4 in at 100 dpi
    assert drawn.shape[1] == 4 * 240 and drawn.shape[0] >= 2 * 240
    palette = voc_palette()
    assert has_colour(drawn, tuple(palette[1]))  # disc in the legend
    assert not has_colour(drawn, tuple(palette[2]))  # no square anywhere
    assert has_colour(drawn, (217, 217, 217))  # row b: pseudo "missing"
    rows[0]['pred'] = label(48, 64, 2, (10, 10, 20, 20))
    plot_panel_grid(str(path), rows, ['background', 'disc', 'square'])
    drawn = rgb(path)
    assert drawn.shape[1] == 5 * 240
    assert has_colour(drawn, tuple(palette[2]))  # square: legend entry
    with pytest.raises(ValueError, match='no images'):
        plot_panel_grid(str(path), [], ['disc'])


def test_display_available(monkeypatch):
    monkeypatch.setattr('sys.platform', 'linux')
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    monkeypatch.delenv('MPLBACKEND', raising=False)
    assert not display_available()
    monkeypatch.setenv('DISPLAY', ':0')
    assert display_available()
    monkeypatch.setenv('MPLBACKEND', 'Agg')
    assert not display_available()
