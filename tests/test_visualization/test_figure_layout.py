import numpy as np
import pytest
from PIL import Image

from mmwsss.fileio import voc_palette
from mmwsss.visualization import (
    draw_boxes,
    label_legend,
    mask_overlay,
    present_values,
    save_rgb_png,
    stack_rows,
    tile_row,
    with_background,
)


def test_tile_row_and_stack_rows():
    a = np.full((10, 8, 3), 10, np.uint8)
    b = np.full((6, 5, 3), 20, np.uint8)
    row = tile_row([a, b], ['a', 'b'], gap=3)
    # 14-px title strips, heights padded to the tallest tile
    assert row.shape == (24, 8 + 3 + 5, 3)
    assert (row[14:, :8] == 10).all()
    assert (row[14:20, 11:] == 20).all() and (row[20:, 11:] == 255).all()
    assert (row[:, 8:11] == 255).all()
    out = stack_rows([row, np.zeros((2, 4, 3), np.uint8)], gap=1)
    assert out.shape == (24 + 1 + 2, 16, 3)
    assert (out[25:, :4] == 0).all() and (out[25:, 4:] == 255).all()
    with pytest.raises(ValueError, match='one title per tile'):
        tile_row([a], ['a', 'b'])


def test_save_rgb_png(tmp_path):
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    save_rgb_png(str(tmp_path / 'sub' / 'x.png'), img)
    np.testing.assert_array_equal(
        np.array(Image.open(tmp_path / 'sub' / 'x.png')), img)
    with pytest.raises(ValueError, match='uint8'):
        save_rgb_png(str(tmp_path / 'y.png'), img.astype(np.float32))


def test_legend():
    assert with_background(['a', 'b']) == ['background', 'a', 'b']
    assert with_background(('background', 'a')) == ['background', 'a']
    assert present_values(np.array([[3, 0], [255, 3]]), [7]) == [0, 3, 7, 255]
    names = with_background(['disc', 'square'])
    legend = label_legend([2, 255, 2], names, min_width=80)
    assert legend.shape == (2 * 14, 80, 3)
    palette = voc_palette()
    # swatch of value 2 at rows 2..11, columns 2..11 (outlined in black)
    np.testing.assert_array_equal(legend[6, 6], palette[2])
    assert (legend[14 + 6, 6] == 255).all()  # ignore: white swatch
    assert (legend[2, 2] == 0).all()  # outline


def test_draw_boxes_and_mask_overlay():
    img = np.full((40, 30, 3), 100, np.uint8)
    out = draw_boxes(img, np.array([[2, 12, 12, 38]]), [0], ['disc'])
    red = voc_palette()[1]
    np.testing.assert_array_equal(out[37, 2], red)  # bottom-left corner
    np.testing.assert_array_equal(out[37, 11], red)  # x2 - 1, y2 - 1
    assert (out[34, 6] == 100).all()  # inside, below the name
    assert (out[37, 12:] == 100).all()
    assert (out[0:10] == 100).all() and (img == 100).all()
    with pytest.raises(ValueError, match='2 boxes but 1 labels'):
        draw_boxes(img, np.zeros((2, 4)), [0])
    img = img[:20]
    mask = np.zeros((20, 30), np.uint8)
    mask[:5] = 1
    over = mask_overlay(img, mask, colour=(0, 0, 0), alpha=0.5)
    assert (over[:5] == 50).all() and (over[5:] == 100).all()
