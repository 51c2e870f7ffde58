"""tools/analysis/aggregate_reports.py: mean ± std over seeds."""
import json

import pytest

from helpers import load_tool


def load_aggregate_reports():
    return load_tool('analysis/aggregate_reports.py')


def write_report(work_dir, seed, miou):
    work_dir.mkdir()
    (work_dir / 'report.json').write_text(json.dumps(dict(
        seed=seed,
        stages=dict(cams=dict(metrics={'cam/mIoU_best': miou,
                                       'cam/thresholds': [0.1]})))))


def test_mean_std_per_group(tmp_path, capsys):
    for seed, miou in enumerate((40.0, 44.0, 48.0)):
        write_report(tmp_path / f'gap_s{seed}', seed, miou)
    write_report(tmp_path / 'gpp_s0', 0, 30.0)
    tool = load_aggregate_reports()
    out_json = tmp_path / 'summary.json'
    tool.main([f'GAP={tmp_path}/gap_s*', f'GPP={tmp_path}/gpp_s*',
               '--metrics', 'cams:cam/mIoU_best', 'pseudo:pseudo/mIoU',
               '--json', str(out_json)])
    table = capsys.readouterr().out
    assert '| GAP | 0, 1, 2 | 44.0 ± 4.0 (n=3) | – |' in table
    assert '| GPP | 0 | 30.0 ± 0.0 (n=1) | – |' in table
    summary = json.loads(out_json.read_text())
    assert summary['groups']['GAP']['cams:cam/mIoU_best']['values'] == [
        40.0, 44.0, 48.0]


def test_missing_reports_exit_with_a_message(tmp_path):
    with pytest.raises(SystemExit, match='no report.json'):
        load_aggregate_reports().main([f'X={tmp_path}/nothing*'])
    with pytest.raises(SystemExit, match='NAME=GLOB'):
        load_aggregate_reports().main(['nogroup'])
