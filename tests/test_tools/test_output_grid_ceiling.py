"""tools/analysis/output_grid_ceiling.py: the ground truth passed through
a coarse output grid (pool, bilinear up, argmax)."""
import numpy as np
import pytest

from helpers import load_tool

tool = load_tool('analysis/output_grid_ceiling.py')


def test_a_small_object_vanishes_in_a_coarse_cell():
    label = np.zeros((8, 8), np.uint8)
    label[:2, :2] = 1  # 4 of the cell's 64 pixels
    assert (tool.through_grid(label, 2, 8) == 0).all()
    iou = tool.grid_ceiling([label], 2, 8)
    np.testing.assert_allclose(iou, [60 / 64, 0.0])
    # at stride 2 its 2x2 block is one cell of its own and survives
    # (bilinear blending at the block's border takes one row and column)
    kept = tool.through_grid(label, 2, 2)
    assert kept[0, 0] == 1 and kept[:4, 4:].max() == 0


def test_ignored_pixels_count_for_no_class():
    label = np.full((4, 4), 255, np.uint8)
    label[0, 0] = 1  # the one labelled pixel of the cell
    assert (tool.through_grid(label, 2, 4) == 1).all()


def test_stride_one_is_exact_on_the_toy_set(toy_voc, capsys):
    tool.main([toy_voc, '--num-classes', '6', '--strides', '1', '8'])
    out = capsys.readouterr().out.splitlines()
    assert out[0] == '8 images of val, input scale 1.0'
    assert out[1].startswith('stride 1: mIoU 100.00 ')
    coarse = float(out[2].split()[3])
    assert 0 < coarse < 100
    # a 2x input at stride 8 is the same grid as stride 4
    tool.main([toy_voc, '--num-classes', '6', '--strides', '8', '--scale',
               '2'])
    scaled = capsys.readouterr().out.splitlines()[1].split(': ', 1)[1]
    tool.main([toy_voc, '--num-classes', '6', '--strides', '4'])
    assert capsys.readouterr().out.splitlines()[1].split(': ', 1)[1] == scaled


def test_bad_scale_exits_2(toy_voc, capsys):
    with pytest.raises(SystemExit) as exc:
        tool.main([toy_voc, '--num-classes', '6', '--scale', '0'])
    assert exc.value.code == 2
    assert '--scale' in capsys.readouterr().err
