"""A stage registered from outside the package (the add-stage guide's
example in projects/) runs in the pipeline like the built-in ones."""
import os
import os.path as osp
import sys

import numpy as np
from mmengine.config import Config

from mmwsss.apis import PipelineRunner
from mmwsss.fileio import read_label_png

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PROJECT_CFG = osp.join(ROOT, 'projects', 'uncertain_pixel_filter', 'configs',
                       'gap_r38tiny_toy_filtered.py')


def test_ambiguous_pixels():
    sys.path.insert(0, ROOT)
    from projects.uncertain_pixel_filter.uncertain_pixel_filter. \
        uncertain_pixel_filter_stage import ambiguous_pixels
    cams = np.array([[[0.9, 0.5, 0.1]], [[0.05, 0.45, 0.0]]])  # K=2, 1x3
    # scores (bg, c1, c2): (0.1, .9, .05) (0.5, .5, .45) (0.9, .1, 0)
    np.testing.assert_array_equal(
        ambiguous_pixels(cams, 0.1), [[False, True, False]])
    assert not ambiguous_pixels(np.zeros((0, 2, 2)), 0.5).any()


def test_filter_stage_in_the_pipeline(toy_voc, tmp_path, toy_pipeline_cfg):
    sys.path.insert(0, ROOT)
    project = Config.fromfile(PROJECT_CFG)
    cfg = toy_pipeline_cfg(toy_voc)
    cfg.stages.filter = project.stages.filter
    cfg.stages.segment.labels = 'filter'
    runner = PipelineRunner(cfg, str(tmp_path), 'filtered')
    assert list(runner.stages) == ['train', 'cams', 'refine', 'filter',
                                   'segment']
    report = runner.run(['filter'])
    assert list(report['stages']) == ['train', 'cams', 'refine', 'filter']
    metrics = report['stages']['filter']['metrics']
    before = report['stages']['refine']['metrics']
    assert metrics['pseudo/ignore_ratio'] > before['pseudo/ignore_ratio']
    labels = osp.join(str(tmp_path), 'filter', 'pseudo')
    refined = osp.join(str(tmp_path), 'refine', 'pseudo')
    assert sorted(os.listdir(labels)) == sorted(os.listdir(refined))
    for name in os.listdir(labels):
        a = read_label_png(osp.join(labels, name), 6)
        b = read_label_png(osp.join(refined, name), 6)
        kept = a != 255
        np.testing.assert_array_equal(a[kept], b[kept])  # only ignores added
    # a changed margin re-runs the filter stage only
    cfg.stages.filter.margin = 0.2
    again = PipelineRunner(cfg, str(tmp_path), 'filtered').run(['filter'])
    assert {k: v['status'] for k, v in again['stages'].items()} == dict(
        train='skipped', cams='skipped', refine='skipped', filter='ran')
    assert again['stages']['filter']['metrics']['pseudo/ignore_ratio'] >= \
        metrics['pseudo/ignore_ratio']


def test_zero_margin_keeps_every_label():
    sys.path.insert(0, ROOT)
    from projects.uncertain_pixel_filter.uncertain_pixel_filter. \
        uncertain_pixel_filter_stage import ambiguous_pixels
    rng = np.random.default_rng(0)
    assert not ambiguous_pixels(rng.random((3, 8, 8)), 0.0).any()
