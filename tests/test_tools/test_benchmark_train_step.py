"""tools/analysis/benchmark_train_step.py prints one row per phase."""
import os.path as osp

from helpers import ROOT, load_tool


def test_rows_for_both_phases_and_gap_only_cls(capsys):
    tool = load_tool('analysis/benchmark_train_step.py')
    aeft = osp.join(ROOT, 'configs', 'aeft', 'aeft_gpp_r38tiny_toy.py')
    tool.main([aeft, '--batch', '4', '--size', '32', '--steps', '1',
               '--warmup', '0'])
    rows = [line for line in capsys.readouterr().out.splitlines()
            if line.startswith('| cls') or line.startswith('| aeft')]
    assert [row.split('|')[1].strip() for row in rows] == ['cls', 'aeft']
    assert all(float(row.split('|')[2]) > 0 for row in rows)
    gap = osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toy.py')
    tool.main([gap, '--batch', '2', '--size', '32', '--steps', '1',
               '--warmup', '0'])
    rows = [line for line in capsys.readouterr().out.splitlines()
            if line.startswith('| ') and not line.startswith('| phase')]
    assert len(rows) == 1 and rows[0].startswith('| cls')  # no AEFT phase
