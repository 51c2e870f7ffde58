"""The Gaussian-CAM experiment of the ISL/FSL supplement (S.1), a project:
``projects/fsl_gaussian_cams/gaussian_cams/`` and its tool
``projects/fsl_gaussian_cams/tools/fsl_gaussian_cams.py``.
"""
import csv
import importlib.util
import json
import math
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from mmwsss import fileio
from mmwsss.utils import InvalidInputError, MissingInputError
from mmwsss.utils.atomic_io import atomic_write

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# projects are not part of the installed package: import them from the
# repository root (as the project's tool does)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
from projects.fsl_gaussian_cams import gaussian_cams as gc  # noqa: E402


def load_tool():
    path = osp.join(ROOT, 'projects', 'fsl_gaussian_cams', 'tools',
                    'fsl_gaussian_cams.py')
    spec = importlib.util.spec_from_file_location('fsl_gaussian_cams', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gaussian_cam_hand_values():
    # object rows {1, 3} x cols {1, 2, 3}: mean (2, 2), variances 1 and 2/3
    gt = np.zeros((5, 6), np.uint8)
    gt[[1, 3], 1:4] = 1
    gt[0, 5] = 255  # void is not object
    m_r, m_c, v_r, v_c = gc.fit_gaussian(gt)
    assert (m_r, m_c) == (2.0, 2.0)
    assert v_r == pytest.approx(1.0) and v_c == pytest.approx(2 / 3)
    g = gc.gaussian_cam(gt)
    assert g.shape == (5, 6) and g[2, 2] == pytest.approx(1.0)
    assert g[0, 2] == pytest.approx(math.exp(-2))  # ½·2²/1
    assert g[2, 0] == pytest.approx(math.exp(-3))  # ½·2²/(2/3)
    assert g[0, 0] == pytest.approx(math.exp(-5))
    assert g[4, 5] == pytest.approx(math.exp(-0.5 * (4 + 9 * 1.5)))
    s = gc.gaussian_logits(gt)
    np.testing.assert_allclose(s, 2 * g - 1)
    assert s.max() == pytest.approx(1.0) and s.min() > -1
    # foreground s > 0 <=> Mahalanobis² < 2 ln 2 = 1.386: (1, 2) has
    # 1, (2, 1) has 1 / (2/3) = 1.5
    assert np.argwhere(s > 0).tolist() == [[1, 2], [2, 2], [3, 2]]
    line = np.zeros((3, 4), bool)
    line[1, :3] = True  # one row: zero row variance
    with pytest.raises(ValueError, match='degenerate'):
        gc.gaussian_cam(line)
    with pytest.raises(ValueError, match='no foreground'):
        gc.fit_gaussian(np.zeros((3, 3), bool))


def test_working_size_and_scores():
    assert gc.working_size(375, 500) == (38, 50)  # VOC's 500x375 at 0.1
    assert gc.working_size(333, 500) == (33, 50)
    assert gc.working_size(96, 96, 0.5) == (48, 48)
    with pytest.raises(ValueError):
        gc.working_size(10, 10, 0)
    gt = np.zeros((20, 20), np.uint8)
    gt[5:15, 5:15] = 1
    assert gc.score_mask(gt == 1, gt) == (1.0, 1.0)
    assert gc.score_mask(np.zeros_like(gt), gt) == (0.0, 0.0)
    # void is left out of J (VOC) but counts as background for F
    gt_void = gt.copy()
    gt_void[4, 5:15] = 255
    pred = np.zeros_like(gt)
    pred[4:15, 5:15] = 1
    j, _ = gc.score_mask(pred, gt_void)
    assert j == 1.0 and gc.score_mask(pred, gt)[0] == pytest.approx(100 / 110)
    assert gc.summarise([(1.0, 0.5), (0.5, 0.0)]) == dict(
        J=0.75, F=0.25, JF=0.5)


def test_optimisation_raises_j_and_f():
    """On the synthetic 'mallet' scene μ = 2.5, σ = 5 lifts J and F to
    >= 0.95; μ = 0.5 does not improve J."""
    sample = gc.synthetic_sample('mallet')
    init = gc.initial_scores([sample])
    assert init['J'] == pytest.approx(0.39, abs=0.01)  # reference: J 0.39
    assert init['F'] == pytest.approx(0.18, abs=0.01)  # reference: F 0.18
    res = gc.run_setting([sample], mu=2.5, sigma=5.0, steps=80)
    assert res['J'] >= 0.95 and res['F'] >= 0.95
    assert res['JF'] > init['JF'] and res['loss'] < 0
    bad = gc.run_setting([sample], mu=0.5, sigma=5.0, steps=50)
    assert bad['J'] <= init['J']


def test_batched_samples_follow_their_own_path():
    """Samples of one size share a batch (loss x N): same logits as alone."""
    a, b = gc.synthetic_sample('disc', 0), gc.synthetic_sample('disc', 1)
    both = gc.run_setting([a, b], steps=15, return_logits=True)
    for k, sample in enumerate((a, b)):
        alone = gc.run_setting([sample], steps=15, return_logits=True)
        np.testing.assert_allclose(
            both['logits'][k], alone['logits'][0], atol=1e-5)
        assert both['per_sample'][k] == alone['per_sample'][0]
    assert both['J'] > gc.initial_scores([a, b])['J']


def test_sweep_writes_table_csv_json_png(tmp_path):
    samples = [gc.synthetic_sample('disc')]
    res = gc.run_sweep(
        samples, mus=[0.5, 2.5], sigmas=[5.0, None], steps=5,
        progress=False)
    assert [(r['sweep'], r['mu'], r['sigma']) for r in res['rows']] == [
        ('mu', 0.5, 5.0), ('mu', 2.5, 5.0), ('sigma', 2.5, 5.0),
        ('sigma', 2.5, None)
    ]
    assert res['rows'][1]['per_sample'] == res['rows'][2]['per_sample']
    paths = gc.write_reports(res, samples, str(tmp_path), dict(steps=5))
    assert set(paths) == {'md', 'csv', 'json', 'png'}
    table = open(paths['md'], encoding='utf-8').read()
    assert table == gc.markdown_table(res)
    assert table.count('\n') == 3 + 4 and '| sigma | 2.5 | none |' in table
    with open(paths['csv'], encoding='utf-8') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 and rows[3]['sigma'] == 'none'
    assert float(rows[0]['JF_init']) == pytest.approx(res['initial']['JF'])
    with open(paths['json'], encoding='utf-8') as f:
        report = json.load(f)
    assert report['samples'][0]['sample_id'] == 'synthetic_disc'
    assert report['settings'] == dict(steps=5)
    assert len(report['rows']) == 4
    with Image.open(paths['png']) as img:
        assert img.format == 'PNG' and img.size[0] > 100


def test_plot_skipped_without_matplotlib(tmp_path, monkeypatch):
    samples = [gc.synthetic_sample('disc')]
    res = gc.run_sweep(samples, mus=[2.5], sigmas=[], steps=1,
                       progress=False)
    monkeypatch.setitem(sys.modules, 'matplotlib.figure', None)
    paths = gc.write_reports(res, samples, str(tmp_path))
    assert 'png' not in paths and not osp.exists(tmp_path / 'sweep.png')
    assert osp.isfile(paths['csv'])


def _write_sample(root, img_id, mask, xml_objects=None):
    fileio.save_label_png(
        osp.join(root, 'SegmentationClass', f'{img_id}.png'), mask)
    if xml_objects is not None:
        objs = ''.join(f'<object><name>{n}</name><bndbox><xmin>1</xmin>'
                       '<ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox>'
                       '</object>' for n in xml_objects)
        atomic_write(
            osp.join(root, 'Annotations', f'{img_id}.xml'),
            (f'<annotation><size><width>{mask.shape[1]}</width><height>'
             f'{mask.shape[0]}</height></size>{objs}</annotation>').encode())


def test_object_masks_sources(tmp_path):
    root = str(tmp_path)
    mask = np.zeros((20, 20), np.uint8)
    mask[2:6, 2:6] = 1  # two separate regions of class 0
    mask[10:16, 10:16] = 1
    mask[9, 10:16] = 255
    idx = {'disc': 0, 'square': 1}
    _write_sample(root, 'a', mask)
    # no XML, no instance mask: connected components
    objs = gc.object_masks(root, 'a', mask, idx)
    assert [(lab, int(m.sum())) for lab, m in objs] == [(0, 16), (0, 36)]
    # XML with one object of the class: the whole class region
    _write_sample(root, 'a', mask, ['disc'])
    objs = gc.object_masks(root, 'a', mask, idx)
    assert [(lab, int(m.sum())) for lab, m in objs] == [(0, 52)]
    # instance masks win over XML
    inst = np.where(mask == 1, 1, mask).astype(np.uint8)
    inst[10:16, 10:16] = 2
    fileio.save_label_png(osp.join(root, 'SegmentationObject', 'a.png'), inst)
    objs = gc.object_masks(root, 'a', mask, idx)
    assert [(lab, int(m.sum())) for lab, m in objs] == [(0, 16), (0, 36)]


def test_selection_on_toy(toy_voc):
    single = gc.find_candidates(toy_voc, scale=0.25)
    objects = gc.find_candidates(toy_voc, per_object=True, scale=0.25)
    assert 0 < len(single) < len(objects)
    assert all('#' not in s.sample_id for s in single)
    assert all('#' in s.sample_id for s in objects)
    for s in single:  # one object, value 1, void kept
        assert set(np.unique(s.gt)) <= {0, 1, 255} and (s.gt == 1).any()
    picked = gc.select_samples(single, num_per_class=1, seed=3)
    labels = [s.label for s in picked]
    assert labels == sorted(set(labels))
    assert [s.sample_id for s in picked] == [
        s.sample_id for s in gc.select_samples(single, 1, seed=3)
    ]
    assert len(gc.select_samples(single, 0)) == len(single)
    samples = gc.prepare_samples(toy_voc, scale=0.25, num_per_class=2)
    for s in samples:
        assert s.image.shape == (16, 16, 3) and s.image.dtype == np.float32
        assert 0 <= s.image.min() and s.image.max() <= 1


def test_tool_end_to_end_on_toy(toy_voc, tmp_path, capsys):
    tool = load_tool()
    out = tmp_path / 'out'
    res = tool.main([
        toy_voc, '--scale', '0.25', '--steps', '10', '--mus', '1', '2.5',
        '--sigmas', '5', '--out-dir',
        str(out), '--no-progress'
    ])
    printed = capsys.readouterr().out
    assert printed.startswith('| sweep | μ | σ |')
    assert printed == gc.markdown_table(res)
    assert len(res['rows']) == 3
    for ext in ('md', 'csv', 'json', 'png'):
        assert (out / f'sweep.{ext}').is_file()
    report = json.loads((out / 'sweep.json').read_text())
    assert report['settings']['scale'] == 0.25
    assert len(report['samples']) == len(res['initial']['per_sample']) > 0
    # per-object sampling
    res = tool.main([
        toy_voc, '--per-object', '--scale', '0.25', '--steps', '2', '--mus',
        '2.5', '--sigmas', '--out-dir',
        str(out), '--no-progress'
    ])
    assert len(res['rows']) == 1


def test_errors(tmp_path, tiny_voc, capsys):
    with pytest.raises(MissingInputError, match='does not exist'):
        gc.prepare_samples(str(tmp_path / 'nowhere'))
    # val holds one image with two objects: no single-object image
    with pytest.raises(InvalidInputError, match='single-object'):
        gc.prepare_samples(tiny_voc, split='val')
    tool = load_tool()
    bad_args = [[str(tmp_path / 'nowhere')], [],
                [tiny_voc, '--synthetic', 'disc']]
    if not torch.cuda.is_available():
        bad_args.append(['--synthetic', 'disc', '--device', 'cuda'])
    for argv in bad_args:
        with pytest.raises(SystemExit) as e:
            tool.main(argv + ['--out-dir', str(tmp_path / 'o')])
        assert e.value.code == 2
        assert capsys.readouterr().err.startswith('error: ')
    with pytest.raises(ValueError, match='no image'):
        gc.run_setting([gc.GaussianCamSample('x', 'x', 0, 'c',
                                             np.ones((4, 4), np.uint8))])
