"""tools/analysis/benchmark_train_step.py prints one row per phase."""
import importlib.util
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool():
    path = osp.join(ROOT, 'tools', 'analysis', 'benchmark_train_step.py')
    spec = importlib.util.spec_from_file_location('benchmark_train_step',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rows_for_both_phases_and_gap_only_cls(capsys):
    tool = load_tool()
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
