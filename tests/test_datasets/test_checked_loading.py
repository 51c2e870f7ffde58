"""``CheckedLoadImageFromFile`` and ``CheckedLoadAnnotations``: mmcv's /
mmseg's loading with errors that name the file and the fix, put in place of
theirs by ``build_runner``."""
import io
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from helpers import ROOT
from mmwsss import fileio
from mmwsss.datasets.transforms import (
    CheckedLoadAnnotations,
    CheckedLoadImageFromFile,
)
from mmwsss.engine import use_tta
from mmwsss.engine.run_config import use_checked_loaders
from mmwsss.registry import TRANSFORMS
from mmwsss.utils import InvalidInputError, MissingInputError


def write_jpeg(path, width=12, height=8):
    buf = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 90, np.uint8)).save(
        buf, format='JPEG')
    with open(path, 'wb') as f:
        f.write(buf.getvalue())
    return str(path)


def test_runners_get_the_checked_transforms():
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'deeplab', 'deeplabv2_r18_toy_pseudo.py'))
    use_checked_loaders(use_tta(cfg))  # tools/test.py --tta
    train = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert train[:2] == [
        'mmwsss.CheckedLoadImageFromFile', 'mmwsss.CheckedLoadAnnotations']
    load, tta = cfg.test_dataloader.dataset.pipeline
    assert load['type'] == 'mmwsss.CheckedLoadImageFromFile'
    assert [t['type'] for t in tta['transforms'][2]] == [
        'mmwsss.CheckedLoadAnnotations']
    assert type(TRANSFORMS.build(load)) is CheckedLoadImageFromFile
    assert type(TRANSFORMS.build(
        tta['transforms'][2][0])) is CheckedLoadAnnotations


def test_image_loads_as_in_mmcv(tmp_path):
    path = write_jpeg(tmp_path / 'a.jpg')
    out = CheckedLoadImageFromFile()(dict(img_path=path))
    assert out['img'].shape == (8, 12, 3) and out['ori_shape'] == (8, 12)


@pytest.mark.parametrize('damage', ['truncated', 'not_an_image', 'missing'])
def test_bad_image_names_the_file_and_the_fix(tmp_path, damage):
    path = write_jpeg(tmp_path / 'a.jpg')
    if damage == 'truncated':
        with open(path, 'r+b') as f:
            f.truncate(200)
    elif damage == 'not_an_image':
        with open(path, 'wb') as f:
            f.write(b'<html>not found</html>')
    else:
        path = str(tmp_path / 'gone.jpg')
    error = MissingInputError if damage == 'missing' else InvalidInputError
    with pytest.raises(error, match=f'Image {path}.*on_bad_sample'):
        CheckedLoadImageFromFile()(dict(img_path=path))
    # ignore_empty gives None (mmengine draws another sample)
    skip_empty = CheckedLoadImageFromFile(ignore_empty=True)
    assert skip_empty(dict(img_path=path)) is None


def label_results(tmp_path, label_size):
    img = write_jpeg(tmp_path / 'a.jpg')
    seg = str(tmp_path / 'a.png')
    fileio.save_label_png(seg, np.ones(label_size[::-1], np.uint8))
    results = CheckedLoadImageFromFile()(dict(img_path=img))
    return dict(results, seg_map_path=seg, reduce_zero_label=False,
                seg_fields=[])


def test_label_of_the_image_size_loads(tmp_path):
    out = CheckedLoadAnnotations()(label_results(tmp_path, (12, 8)))
    assert out['gt_seg_map'].shape == (8, 12)
    assert (out['gt_seg_map'] == 1).all()


def test_label_of_another_size_names_both_files(tmp_path):
    results = label_results(tmp_path, (10, 8))
    with pytest.raises(InvalidInputError) as exc:
        CheckedLoadAnnotations()(results)
    message = str(exc.value)
    assert f'Label map {results["seg_map_path"]} is 10x8' in message
    assert f'image {results["img_path"]} is 12x8' in message
    assert 'regenerate that label map' in message
    assert 'CAM' not in message


def test_missing_or_corrupt_label(tmp_path):
    results = label_results(tmp_path, (12, 8))
    with open(results['seg_map_path'], 'wb') as f:
        f.write(b'garbage')
    with pytest.raises(InvalidInputError, match='cannot be decoded'):
        CheckedLoadAnnotations()(dict(results))
    results['seg_map_path'] = osp.join(str(tmp_path), 'gone.png')
    with pytest.raises(MissingInputError, match='gone.png does not exist'):
        CheckedLoadAnnotations()(results)
