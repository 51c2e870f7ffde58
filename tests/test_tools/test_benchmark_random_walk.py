"""tools/analysis/benchmark_random_walk.py: its dense paths are the
official walks, and ``--quick`` prints a row per case with identical labels
for the sparse and dense walks."""
import os.path as osp

import numpy as np
import pytest
import torch

from helpers import ROOT, load_tool
from tests.references.dense_irn_walk import dense_irn_propagate


def _cases():
    load_tool('analysis/benchmark_random_walk.py')  # puts its folder first
    return load_tool('analysis/random_walk_cases.py')


def test_dense_irn_path_equals_the_loop_reference():
    cases = _cases()
    inputs = cases.irn_inputs((27, 45), seed=3)  # 7 x 12 cells
    edge = torch.from_numpy(inputs['edge']).double()
    cams = torch.from_numpy(inputs['cams']).double()
    ours = cases.dense_irn_propagate(cams, edge, 10.0, 3,
                                     dtype=torch.float64)
    ref, _, _ = dense_irn_propagate(cams, edge, 10.0, 3, 5)
    assert ours.shape == (3, 7, 12)
    torch.testing.assert_close(ours, ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize('kind', ['psa', 'irn'])
def test_dense_walks_match_the_sparse_walks_in_float64(kind):
    cases = _cases()
    job = dict(kind=kind, size=(60, 96), logt=4, alpha=16.0,
                dtype='float64')
    inputs = cases.make_inputs(job)
    dense = cases.walk_once(dict(job, path='dense'), inputs)
    sparse = cases.walk_once(dict(job, path='sparse'), inputs)
    np.testing.assert_allclose(
        np.asarray(dense['walked']), np.asarray(sparse['walked']), rtol=0,
        atol=1e-10)
    assert np.array_equal(dense['label'], sparse['label'])
    assert dense['label'].shape == (60, 96)
    assert len(np.unique(dense['label'])) >= 3  # blobs, not one class


def test_psa_affinities_drop_across_regions():
    cases = _cases()
    inputs = cases.psa_inputs((120, 160))
    aff = inputs['affinity']
    assert inputs['grid'] == (15, 20) and aff.shape == (34, 11 * 12)
    assert aff.min() < 0.4 < 0.9 < aff.max() <= 1


def quick_table_rows(out):
    """The cells of the ``--quick`` table's rows, checked to hold every
    case and grid in order."""
    rows = [[cell.strip() for cell in line.strip('|').split('|')]
            for line in out.splitlines()
            if line.startswith('| ') and not line.startswith('| case')]
    assert [(r[0], r[1]) for r in rows] == [
        ('psa', 'dense'), ('psa', 'sparse'), ('AEFT/hfpl', 'dense'),
        ('AEFT/hfpl', 'sparse'), ('IRN', 'dense'), ('IRN', 'sparse'),
        ('IRN', 'dense (extrapolated from 80x60)'), ('IRN', 'sparse')
    ]
    assert [r[3] for r in rows] == ['15x20'] * 6 + ['30x40'] * 2
    return rows


@pytest.mark.slow
def test_quick_prints_every_case_with_exact_label_agreement(capsys):
    tool = load_tool('analysis/benchmark_random_walk.py')
    result = tool.main(['--quick', '--threads', '1'])
    out = capsys.readouterr().out
    rows = quick_table_rows(out)
    assert [r[5] for r in rows] == ['256', '256', '64', '64'] + ['256'] * 4
    assert all(r[6] == '1' and float(r[7]) > 0 and float(r[8]) >= -1
               for r in rows)
    compared = [r for r in rows if r[10] != '-']
    assert len(compared) == 3  # the sparse rows with a dense run
    assert all(float(r[10]) < 1e-4 and r[11] == '100.000'
               for r in compared)
    assert rows[-1][9].endswith('x') and rows[-1][10] == '-'
    assert all(r['identical'] == 100.0 for r in result['psa'] +
               result['irn'] if r['identical'] is not None)
    assert result['train'] == []


@pytest.mark.parametrize('kind', ['psa', 'irn'])
def test_walks_take_tensors_as_on_the_gpu(kind):
    """The tensors ``--device cuda`` moves (psa affinities; IRN boundary
    map and CAMs) give the same walks as the arrays, here on the CPU."""
    cases = _cases()
    job = dict(kind=kind, size=(60, 96), logt=4, alpha=16.0)
    arrays = cases.make_inputs(job)
    names = ('affinity', ) if kind == 'psa' else ('edge', 'cams')
    tensors = dict(arrays,
                   **{n: torch.from_numpy(arrays[n]) for n in names})
    for path in ('sparse', 'dense'):
        ref = cases.walk_once(dict(job, path=path), arrays)
        out = cases.walk_once(dict(job, path=path), tensors)
        torch.testing.assert_close(
            torch.as_tensor(out['walked']), torch.as_tensor(ref['walked']),
            rtol=0, atol=0)
        assert np.array_equal(out['label'], ref['label'])


def test_cuda_without_cuda_exits_2_with_one_line(monkeypatch, capsys):
    tool = load_tool('analysis/benchmark_random_walk.py')
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(SystemExit) as exc:
        tool.main(['--device', 'cuda', '--quick'])
    assert exc.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ''
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and 'CUDA is not available' in lines[0]
    assert '--device cpu' in lines[0] and 'Traceback' not in captured.err


@pytest.mark.slow
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_quick_on_cuda_prints_every_case_with_exact_label_agreement(
        capsys):
    tool = load_tool('analysis/benchmark_random_walk.py')
    result = tool.main(['--quick', '--device', 'cuda'])
    out = capsys.readouterr().out
    assert 'peak MB of GPU memory' in out
    rows = quick_table_rows(out)
    assert all(r[6] == '-' and float(r[7]) > 0 and float(r[8]) >= 0
               for r in rows)
    compared = [r for r in rows if r[10] != '-']
    assert len(compared) == 3
    assert all(float(r[10]) < 1e-4 and r[11] == '100.000'
               for r in compared)
    assert all(r['identical'] == 100.0 for r in result['psa'] +
               result['irn'] if r['identical'] is not None)


def _train_helper():
    load_tool('analysis/benchmark_random_walk.py')
    return load_tool('analysis/affinity_train_step.py')


def test_synthetic_training_labels_by_hand():
    steps = _train_helper()
    cams = np.array([[[0.0, 0.2, 0.9]], [[0.04, 0.5, 0.1]]], np.float32)
    label = steps.ir_label(cams, np.array([3, 7]))
    assert label.tolist() == [[0, 8, 4]]  # < 0.05 bg, 0.3 < max: key + 1
    pair = steps.crf_score_pair(cams)
    assert pair.shape == (6, 1, 3)
    np.testing.assert_allclose(pair[:3].sum(0), 1, rtol=1e-6)
    np.testing.assert_allclose(pair[3:].sum(0), 1, rtol=1e-6)
    # low background power 4 keeps more background than 32
    assert (pair[0] >= pair[3]).all()
    bg = 0.96**4  # first pixel: max CAM 0.04
    np.testing.assert_allclose(pair[:3, 0, 0], [bg / (bg + 0.04), 0,
                                                0.04 / (bg + 0.04)],
                               rtol=1e-6)


@pytest.mark.parametrize('model,config', [
    ('affinitynet', 'configs/affinity/affinitynet_r38tiny_toy.py'),
    ('irnet', 'configs/affinity/irn_r50tiny_toy.py'),
])
def test_training_step_on_the_configs_own_pipeline(model, config):
    steps = _train_helper()
    net, optim_wrapper, data = steps.build(osp.join(ROOT, config), model,
                                           2, 96)
    assert [tuple(x.shape) for x in data['inputs']] == [(3, 96, 96)] * 2
    labels = sum(float(s.get(key).sum()) for s in data['data_samples']
                 for key in ('bg_pos', 'fg_pos', 'neg'))
    assert labels > 0
    before = [p.detach().clone() for p in net.parameters()
              if p.requires_grad]
    losses = net.train_step(data, optim_wrapper)
    assert torch.isfinite(losses['loss'])
    after = [p for p in net.parameters() if p.requires_grad]
    assert any(not torch.equal(a, b) for a, b in zip(before, after))
