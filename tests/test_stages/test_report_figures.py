"""The pictures of the pipeline report on the toy pipeline: threshold curve,
per-class IoU bars, panels; linked from report.md; a figure that fails is
a warning and the report is still written."""
import json
import os
import os.path as osp

import pytest
from PIL import Image

from mmwsss.apis import PipelineRunner
from mmwsss.stages import report_figures

FIGURES = ('cams_bg_threshold.png', 'class_iou.png', 'panels.png')


def png_size(path):
    with Image.open(path) as image:
        assert image.format == 'PNG'
        image.load()  # the whole file decodes
        return image.size


@pytest.mark.slow
def test_report_figures_of_the_toy_pipeline(toy_voc, tmp_path,
                                            toy_pipeline_cfg, monkeypatch):
    cfg = toy_pipeline_cfg(toy_voc)
    cfg.stages.segment.tta = False
    cfg.stages.segment.crf_iters = 0
    cfg.report_figures = dict(num_images=3)
    work_dir = str(tmp_path / 'run')
    report = PipelineRunner(cfg, work_dir, 'toy').run()

    folder = osp.join(work_dir, 'report_figures')
    assert sorted(os.listdir(folder)) == sorted(FIGURES)
    sizes = {name: png_size(osp.join(folder, name)) for name in FIGURES}
    assert sizes['cams_bg_threshold.png'] == (700, 450)
    assert sizes['class_iou.png'][0] >= 800
    # 3 rows of 5 tiles (image, CAM, pseudo, prediction, GT), 240 px each
    width, height = sizes['panels.png']
    assert width == 5 * 240 and height >= 3 * 240
    with open(osp.join(work_dir, 'report.md')) as f:
        text = f.read()
    for name in FIGURES:
        assert f'](report_figures/{name})' in text
    with open(osp.join(work_dir, 'report.json')) as f:
        assert [osp.basename(fig['path'])
                for fig in json.load(f)['figures']] == list(FIGURES)
    # bars of the CAMs (at their best τ), the pseudo labels and the
    # segmentation network, whose metric now reports per-class IoU
    metrics = report['stages']['segment']['metrics']
    assert set(metrics['single/boundary/IoU_per_class']) == set(
        cfg.test_dataloader.dataset.metainfo.classes) | {'background'}
    series = report_figures.iou_series(report)
    best = report['stages']['cams']['metrics']['cam/best_threshold']
    assert list(series) == [f'cams (τ={best:g})', 'refine', 'segment single']

    # a figure that cannot be drawn: a warning, the others and the report
    # are still written, and its old file is gone
    def broken(*args, **kwargs):
        raise RuntimeError('no room on the canvas')

    warnings = []
    monkeypatch.setattr(report_figures, 'plot_panel_grid', broken)
    monkeypatch.setattr(report_figures, 'print_log',
                        lambda msg, *a, **k: warnings.append(msg))
    again = PipelineRunner(cfg, work_dir, 'toy').run()
    assert {s['status'] for s in again['stages'].values()} == {'skipped'}
    assert warnings == ['report figure panels.png not drawn: RuntimeError: '
                        'no room on the canvas']
    assert sorted(os.listdir(folder)) == sorted(FIGURES[:2])
    with open(osp.join(work_dir, 'report.md')) as f:
        text = f.read()
    assert 'class_iou.png' in text and 'panels.png' not in text
    assert '| cams | skipped |' in text


def test_no_figures_when_switched_off(tmp_path, toy_pipeline_cfg, toy_voc):
    cfg = toy_pipeline_cfg(toy_voc, segment=False)
    cfg.report_figures = False
    report = dict(stages=dict(cams=dict(metrics={
        'cam/thresholds': [0.1, 0.2], 'cam/mIoU_curve': [1.0, 2.0]})))
    assert report_figures.write_report_figures(
        cfg, str(tmp_path), {}, report) == []
    assert not os.listdir(tmp_path)
