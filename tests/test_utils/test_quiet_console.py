"""quiet_console: the full output goes to the log, the console shows the
progress lines only (run in a subprocess: it redirects descriptors 1/2)."""
import os.path as osp
import re
import subprocess
import sys
import textwrap

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def run_snippet(tmp_path, body):
    script = tmp_path / 'snippet.py'
    script.write_text(textwrap.dedent(f"""
        import subprocess, sys
        sys.path.insert(0, {ROOT!r})
        from mmwsss.utils.quiet_console import quiet_console
        log = {str(tmp_path / 'run.log')!r}
    """) + textwrap.dedent(body))
    return subprocess.run([sys.executable, str(script)], capture_output=True,
                          text=True, timeout=120)


def test_console_shows_progress_log_keeps_everything(tmp_path):
    result = run_snippet(tmp_path, """
        with quiet_console(log):
            print('config dump line')
            print('12/03 08:14:37 - mmengine - INFO - [cams] running')
            print('progress 10%\\rprogress 100%', file=sys.stderr)
            print('12/03 08:15:00 - mmengine - INFO - Iter(train) [ 50/100]'
                  '  loss: 0.5', flush=True)
            subprocess.run([sys.executable, '-c',
                            'print("[refine] done in a worker")'])
        print('after the block')
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        '08:14:37 [cams] running',
        '08:15:00 Iter(train) [ 50/100]  loss: 0.5',
        '[refine] done in a worker',
        'after the block',
    ]
    log = (tmp_path / 'run.log').read_text()
    for text in ('config dump line', 'progress 100%', '[cams] running',
                 '[refine] done in a worker'):
        assert text in log
    assert 'after the block' not in log


def test_console_is_back_before_an_error_propagates(tmp_path):
    result = run_snippet(tmp_path, """
        try:
            with quiet_console(log):
                print('noise')
                raise ValueError('bad input')
        except ValueError as error:
            print(f'error: {error}', file=sys.stderr)
            sys.exit(2)
    """)
    assert result.returncode == 2
    assert result.stderr.strip() == 'error: bad input'
    assert result.stdout == ''
    assert 'noise' in (tmp_path / 'run.log').read_text()


def test_progress_bars_become_a_line_per_tenth(tmp_path):
    result = run_snippet(tmp_path, """
        from mmengine.utils import ProgressBar
        with quiet_console(log):
            print('12/03 08:14:37 - mmengine - INFO - [refine] running',
                  flush=True)
            bar = ProgressBar(200)
            for _ in range(200):
                bar.update()
            print('12/03 08:15:00 - mmengine - INFO - [refine] ran: 200 '
                  'items in 1.0 s')
            bar = ProgressBar(30)  # its last update ends the output
            for _ in range(30):
                bar.update()
    """)
    assert result.returncode == 0, result.stderr
    lines = [re.sub(r'^\d\d:\d\d:\d\d ', '', line)
             for line in result.stdout.splitlines()]
    assert lines[0] == '[refine] running'
    assert [line.split(' (')[0] for line in lines[1:11]] == [
        f'[refine] {n}/200 images' for n in range(20, 201, 20)
    ]
    assert lines[1].startswith('[refine] 20/200 images (10 %), eta ')
    assert lines[10].startswith('[refine] 200/200 images (100 %), took ')
    assert lines[11] == '[refine] ran: 200 items in 1.0 s'
    assert [line.split(' (')[0] for line in lines[12:]] == [
        f'[refine] {n}/30 images' for n in range(3, 31, 3)
    ]
    assert lines[-1].startswith('[refine] 30/30 images (100 %), took ')
    log = (tmp_path / 'run.log').read_text()
    assert log.count('/200, ') == 201 and '30/30, ' in log  # + 0/200
