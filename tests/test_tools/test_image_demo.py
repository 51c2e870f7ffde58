import os.path as osp
import re
import shutil

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from helpers import ROOT, load_tool
from mmwsss.apis import inference_cams, init_model
from mmwsss.fileio import read_rgb
from mmwsss.registry import MODELS, TASK_UTILS
from mmwsss.visualization import label_overlay

TOY_CFG = osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toy.py')


@pytest.fixture(scope='module')
def demo():
    return load_tool('../demo/image_demo.py', name='demo_image_demo')


@pytest.fixture(scope='module')
def ckpt(tmp_path_factory):
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(TOY_CFG).model)
    model.init_weights()
    path = str(tmp_path_factory.mktemp('ckpt') / 'random.pth')
    torch.save({'state_dict': model.state_dict()}, path)
    return path


def image_path(toy_voc, index=24):
    return osp.join(toy_voc, 'JPEGImages', f'toy_{index:06d}.jpg')


def test_one_image(demo, ckpt, toy_voc, tmp_path, capsys):
    img, out = image_path(toy_voc), str(tmp_path / 'out.png')
    demo.main([img, TOY_CFG, ckpt, '--labels', 'ring', 'disc', '--refiner',
               'threshold', '--bg-threshold', '0.3', '--out-file', out])
    assert 'disc' in capsys.readouterr().out
    fig = np.array(Image.open(out))
    # image | CAM disc | CAM ring | refined: 4 tiles of 64 px, 3 gaps
    assert fig.shape[1] == 4 * 64 + 3 * 4
    # the refined tile is ThresholdRefiner(0.3) on the model's CAMs
    image = read_rgb(img)
    res = inference_cams(init_model(TOY_CFG, ckpt), img, ['disc', 'ring'])
    label = TASK_UTILS.build(dict(type='ThresholdRefiner',
                                  bg_threshold=0.3))(image, res['cams'],
                                                     res['keys'])
    np.testing.assert_array_equal(fig[14:78, 3 * 68:3 * 68 + 64],
                                  label_overlay(image, label))
    values = sorted(set(np.unique(label).tolist()) - {0}) or [0]
    # legend: one 14-px line per label value, 4 px below the row
    assert fig.shape[0] == 78 + 4 + 14 * len(values)


def test_folder_mode_with_crf(demo, ckpt, toy_voc, tmp_path):
    folder = tmp_path / 'imgs'
    folder.mkdir()
    for index in (24, 25):
        shutil.copy(image_path(toy_voc, index), folder)
    demo.main([str(folder), TOY_CFG, ckpt, '--out-dir',
               str(tmp_path / 'vis')])
    assert sorted(p.name for p in (tmp_path / 'vis').iterdir()) == [
        'toy_000024.png', 'toy_000025.png']


def test_clear_errors(demo, ckpt, toy_voc, tmp_path, capsys):
    img, out = image_path(toy_voc), str(tmp_path / 'o.png')
    cases = [
        ([img, TOY_CFG, ckpt, '--labels', 'dog', '--out-file', out],
         'dog.*Valid names: disc, square, triangle, cross, ring, star'),
        ([img, TOY_CFG, str(tmp_path / 'no.pth'), '--out-file', out],
         'no.pth does not exist'),
        ([str(tmp_path / 'no.jpg'), TOY_CFG, ckpt, '--out-file', out],
         'no.jpg does not exist'),
        ([img, str(tmp_path / 'no.py'), ckpt, '--out-file', out],
         'no.py does not exist'),
        ([str(tmp_path), TOY_CFG, ckpt, '--out-file', out], 'no images'),
    ]
    for argv, message in cases:
        with pytest.raises(SystemExit) as exc:
            demo.main(argv)
        assert exc.value.code == 2
        assert re.search(message, capsys.readouterr().err)
    assert not osp.exists(out)
