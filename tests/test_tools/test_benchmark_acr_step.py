"""tools/analysis/benchmark_acr_step.py times RU and CU separately."""
from helpers import load_tool


def test_toy_row_splits_the_iteration(capsys):
    tool = load_tool('analysis/benchmark_acr_step.py')
    tool.main(['--scales', 'toy', '--batch', '2', '--size', '32',
               '--steps', '1', '--warmup', '0'])
    (row, ) = [line for line in capsys.readouterr().out.splitlines()
               if line.startswith('| toy')]
    cells = [c.strip() for c in row.strip('|').split('|')]
    scale, params, batch, size, ru, cu, total, peaks = cells
    assert (batch, size) == ('2', '32')
    assert float(params) > 1 and float(ru) > 0 and float(cu) > 0
    assert abs(float(ru) + float(cu) - float(total)) < 2e-3
    ru_peak, cu_peak = (float(p) for p in peaks.split('/'))
    assert 0 < ru_peak <= cu_peak
