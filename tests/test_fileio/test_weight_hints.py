"""Every weight file a shipped config reads has a download hint, the
missing-file errors give it, and docs/en/user_guides/pretrained_weights.md
lists the same files, pages and commands."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from helpers import ROOT
from mmwsss.engine.run_config import check_pretrained, weight_paths
from mmwsss.fileio.weight_hints import WEIGHTS, weight_hint
from mmwsss.registry import MODELS
from mmwsss.utils import MissingInputError

GUIDE = osp.join(ROOT, 'docs', 'en', 'user_guides', 'pretrained_weights.md')
CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                         recursive=True) +
    glob.glob(osp.join(ROOT, 'projects', '*', 'configs', '*.py'))
    if '_base_' not in p)


def _weight_files(cfg):
    return {path for _, path in weight_paths(cfg)}


def test_every_config_weight_file_has_an_entry():
    known = {osp.basename(entry['file']) for entry in WEIGHTS.values()}
    used = {}
    for path in CONFIGS:
        for weights in _weight_files(Config.fromfile(path)):
            used.setdefault(weights, osp.relpath(path, ROOT))
    assert used, 'no shipped config reads a weight file'
    unknown = {w: c for w, c in used.items() if osp.basename(w) not in known}
    assert not unknown, f'weight files without a download hint: {unknown}'


def test_hint_names_download_and_command():
    hint = weight_hint('pretrained/resnet38d_imagenet.pth')
    assert WEIGHTS['resnet38d']['download'] in hint
    assert ('python tools/model_converters/resnet38d_mxnet.py '
            'resnet_38d.params pretrained/resnet38d_imagenet.pth') in hint
    # the kind wins over the file name; the command gets the given path
    other = weight_hint('elsewhere/r38.pth', 'resnet38d')
    assert 'resnet_38d.params elsewhere/r38.pth' in other
    assert 'pretrained_weights.md' in weight_hint('x/unknown.pth')
    for key in ('resnet50', 'resnet101'):
        suffix = WEIGHTS[key]['download'].rsplit('-', 1)[1][:8]
        assert f'SHA-256 starts with {suffix}' in WEIGHTS[key]['what']


def test_missing_weights_stop_with_the_hint(tmp_path):
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'deeplab', 'deeplabv2_r101_voc_pseudo.py'))
    with pytest.raises(
            MissingInputError,
            match=r'resnet101_imagenet\.pth .*do not exist.*'
            r'download\.pytorch\.org/models/resnet101-5d3b4d8f\.pth'):
        check_pretrained(cfg)
    missing = str(tmp_path / 'r38.pth')
    backbone = MODELS.build(
        dict(
            type='ResNet38d',
            width_mult=0.0625,
            init_cfg=dict(type='Pretrained', checkpoint=missing)))
    with pytest.raises(MissingInputError) as err:
        backbone.init_weights()
    assert WEIGHTS['resnet38d']['download'] in str(err.value)
    assert f'resnet_38d.params {missing}' in str(err.value)


def test_guide_lists_every_entry():
    with open(GUIDE, encoding='utf-8') as f:
        text = f.read()
    for key, entry in WEIGHTS.items():
        assert entry['file'].split('/')[-1].split('.')[0] in text, key
        url = entry['download'].split(' ')[0]
        if url.startswith('http'):
            assert url in text, (key, url)
        command = entry['command'].format(path=entry['file'])
        assert command in text, (key, command)
