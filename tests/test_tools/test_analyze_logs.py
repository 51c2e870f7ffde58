import json
import os
import os.path as osp

import numpy as np
import pytest

from helpers import load_tool


@pytest.fixture(scope='module')
def tool():
    return load_tool('analysis/analyze_logs.py')


def write_log(work_dir, stamp, rows):
    """mmengine's layout: <work_dir>/<stamp>/vis_data/scalars.json."""
    path = osp.join(str(work_dir), stamp, 'vis_data', 'scalars.json')
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(''.join(json.dumps(r) + '\n' for r in rows))
    return path


def train_row(it, loss, time, lr=0.1):
    return dict(lr=lr, data_time=0.01, loss=loss, loss_cls=loss, time=time,
                iter=it, step=it)


RUN_A = [train_row(10, 0.9, 0.5), train_row(20, 0.7, 0.2),
         {'multi-label/mAP': 40.0, 'data_time': 0.1, 'time': 0.3,
          'step': 20},
         train_row(30, 0.6, 0.3), train_row(40, 0.5, 0.1),
         {'multi-label/mAP': 55.0, 'data_time': 0.1, 'time': 0.3,
          'step': 40}]
RUN_B = [train_row(10, 1.0, 0.4), train_row(20, 0.8, 0.4)]


def test_series_and_key_matching(tool, tmp_path):
    path = write_log(tmp_path / 'run_a', '20260101_000000', RUN_A)
    log = tool.load_log(path)
    assert len(log['train']) == 4 and len(log['val']) == 2
    xs, ys = tool.series(log, 'loss')
    assert xs.tolist() == [10, 20, 30, 40] and ys.tolist() == [
        0.9, 0.7, 0.6, 0.5]
    # the last '/' part matches; validation x = the step it ran at
    xs, ys = tool.series(log, 'mAP')
    assert xs.tolist() == [20, 40] and ys.tolist() == [40.0, 55.0]
    assert tool.series(log, 'mIoU')[0].size == 0
    assert 'iter' not in tool.logged_keys(log)
    # a work dir resolves to its newest run
    newer = write_log(tmp_path / 'run_a', '20260102_000000', RUN_B)
    assert tool.find_log(str(tmp_path / 'run_a')) == newer
    assert tool.run_name(path) == 'run_a'


def test_plot_curve(tool, tmp_path):
    a = write_log(tmp_path / 'a', '20260101_000000', RUN_A)
    b = write_log(tmp_path / 'b', '20260101_000000', RUN_B)
    out = str(tmp_path / 'plots' / 'curves.png')
    tool.main(['plot_curve', a, b, '--keys', 'loss', 'mAP', '--out', out])
    assert osp.getsize(out) > 0
    fig = tool.plot_curve([a, b], ['loss', 'mAP'], out=out)
    loss_ax, map_ax = fig.axes[0], fig.axes[1]
    assert [line.get_label() for line in loss_ax.lines] == ['a', 'b']
    np.testing.assert_array_equal(loss_ax.lines[1].get_ydata(), [1.0, 0.8])
    # run b has no mAP: one line only
    assert len(map_ax.lines) == 1
    np.testing.assert_array_equal(map_ax.lines[0].get_xdata(), [20, 40])
    fig = tool.plot_curve([a, b], ['loss'], legend=['x', 'y'], out=out)
    assert [line.get_label() for line in fig.axes[0].lines] == ['x', 'y']


def test_cal_train_time(tool, tmp_path, capsys):
    path = write_log(tmp_path / 'a', '20260101_000000', RUN_A)
    # first interval (start-up) left out: times 0.2, 0.3, 0.1, spans 10
    stats = tool.train_time(path)
    assert stats['mean'] == pytest.approx(0.2)
    assert stats['std'] == pytest.approx(np.std([0.2, 0.3, 0.1]))
    assert (stats['slowest_iter'], stats['fastest_iter']) == (30, 40)
    assert stats['total_s'] == pytest.approx(6.0) and stats['iters'] == 30
    stats = tool.train_time(path, include_outliers=True)
    assert stats['mean'] == pytest.approx(0.275)
    assert stats['total_s'] == pytest.approx(11.0) and stats['iters'] == 40
    tool.main(['cal_train_time', path])
    assert 'average iter time: 0.2000 s/iter (6.0 s for 30 iters)' in \
        capsys.readouterr().out


def test_clear_errors(tool, tmp_path, capsys):
    path = write_log(tmp_path / 'a', '20260101_000000', RUN_A)
    for argv, message in [
        (['plot_curve', path, '--keys', 'mIoU'],
         "'mIoU' is in none of the logs. Logged keys: data_time, loss, "
         'loss_cls, lr, multi-label/mAP, time.'),
        (['plot_curve', str(tmp_path / 'none.json')], 'none.json does not'),
        (['cal_train_time', str(tmp_path / 'empty')], 'does not exist'),
        (['plot_curve', path, '--legend', 'x', 'y', 'z', '--out',
          str(tmp_path / 'c.png')], '--legend: give 1 names'),
    ]:
        with pytest.raises(SystemExit) as exc:
            tool.main(argv)
        assert exc.value.code == 2
        assert message in capsys.readouterr().err
    bad = tmp_path / 'bad.json'
    bad.write_text('{"loss": 1, "iter": 1}\nnot json\n')
    with pytest.raises(SystemExit):
        tool.main(['cal_train_time', str(bad)])
    assert 'bad.json:2 is not JSON' in capsys.readouterr().err
