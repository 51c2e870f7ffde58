"""Plot training curves and time training from mmengine's scalar logs.

``python tools/analysis/analyze_logs.py plot_curve LOG [LOG ...] --keys loss
lr mIoU [--legend NAME ...] [--out curves.png] [--title T]``

``python tools/analysis/analyze_logs.py cal_train_time LOG [LOG ...]
[--include-outliers]``

LOG is ``<work_dir>/<timestamp>/vis_data/scalars.json`` (one JSON object
per line, written by mmengine's ``LocalVisBackend``), a run folder
``<work_dir>/<timestamp>`` or a work dir (its newest run). Training lines
carry ``iter``/``step``, ``lr``, the losses and ``time`` (s/iter averaged
over the logging interval); validation lines carry the metrics and the
``step`` they were computed at. A key matches a logged name exactly or its
last ``/`` part (``mAP`` finds ``multi-label/mAP``). Each key gets one
subplot, each log one line in it. A missing file, or a key found in no log
(the message lists the logged keys), exits with status 2.
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import numpy as np

from mmwsss.utils import (
    InvalidInputError,
    MissingInputError,
    exit_on_user_error,
)

#: bookkeeping fields, not curves
POSITION_KEYS = ('iter', 'step', 'epoch')


def find_log(path: str) -> str:
    """The scalar log of ``path``: the file itself, or the newest
    ``vis_data/scalars.json`` of a run folder or work dir."""
    if osp.isfile(path):
        return path
    if osp.isdir(path):
        found = sorted(
            glob.glob(osp.join(path, 'vis_data', 'scalars.json')) +
            glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
        if found:
            return found[-1]  # run folders are timestamps: newest last
        raise MissingInputError(
            f'{path} holds no vis_data/scalars.json. Pass the scalars.json '
            'of a run (written by mmengine during `tools/train.py`).')
    raise MissingInputError(
        f'Log {path} does not exist. Pass <work_dir>/<timestamp>/vis_data/'
        'scalars.json, its run folder or the work dir.')


def load_log(path: str) -> Dict[str, List[dict]]:
    """``{'train': rows with 'iter', 'val': the other rows}`` of a scalar
    log, in file order."""
    path = find_log(path)
    logs: Dict[str, List[dict]] = dict(train=[], val=[])
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise InvalidInputError(
                    f'{path}:{lineno} is not JSON ({e}); pass mmengine\'s '
                    'vis_data/scalars.json.') from e
            if not isinstance(row, dict):
                raise InvalidInputError(
                    f'{path}:{lineno} is not a JSON object.')
            logs['train' if 'iter' in row else 'val'].append(row)
    return logs


def logged_keys(log: Dict[str, List[dict]]) -> List[str]:
    """Every curve name of a log, sorted."""
    return sorted({k
                   for rows in log.values() for row in rows
                   for k in row if k not in POSITION_KEYS})


def match_key(log: Dict[str, List[dict]], key: str) -> Optional[str]:
    """The logged name for ``key``: itself, else the one name whose last
    ``/`` part is ``key``; None when absent or ambiguous."""
    names = logged_keys(log)
    if key in names:
        return key
    tails = [n for n in names if n.rsplit('/', 1)[-1] == key]
    return tails[0] if len(tails) == 1 else None


def series(log: Dict[str, List[dict]],
           key: str) -> Tuple[np.ndarray, np.ndarray]:
    """(x, y) of ``key``: x = ``iter`` for training lines, ``step`` for
    validation lines; empty arrays when the key is absent."""
    name = match_key(log, key)
    xs, ys = [], []
    if name is not None:
        for phase, rows in log.items():
            for row in rows:
                if name in row:
                    xs.append(row['iter'] if phase == 'train' else
                              row.get('step', len(xs)))
                    ys.append(row[name])
    order = np.argsort(xs, kind='stable')
    return (np.asarray(xs, np.float64)[order],
            np.asarray(ys, np.float64)[order])


def run_name(path: str) -> str:
    """A run's label: the work dir name for ``<work_dir>/<timestamp>/
    vis_data/scalars.json``, else the file stem."""
    path = osp.abspath(find_log(path))
    parts = path.split(osp.sep)
    if len(parts) >= 4 and parts[-2] == 'vis_data':
        return parts[-4]
    return osp.splitext(osp.basename(path))[0]


def check_keys(logs: Sequence[dict], keys: Sequence[str]) -> None:
    """Raise when a key is in none of the logs, listing the logged keys."""
    known = sorted({k for log in logs for k in logged_keys(log)})
    for key in keys:
        tails = [n for n in known if n.rsplit('/', 1)[-1] == key]
        if key not in known and len(tails) > 1:
            raise InvalidInputError(
                f'Key {key!r} matches {", ".join(tails)}: pass the full '
                'name.')
        if all(match_key(log, key) is None for log in logs):
            raise InvalidInputError(
                f'Key {key!r} is in none of the logs. Logged keys: '
                f'{", ".join(known)}.')


def plot_curve(paths: Sequence[str],
               keys: Sequence[str],
               legend: Optional[Sequence[str]] = None,
               out: Optional[str] = None,
               title: Optional[str] = None):
    """One subplot per key, one line per log; saved to ``out`` (PNG, PDF,
    ... by its suffix) or shown. Returns the matplotlib figure."""
    import matplotlib
    if out:
        matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    logs = [load_log(p) for p in paths]
    check_keys(logs, keys)
    names = list(legend) if legend else [run_name(p) for p in paths]
    if len(names) not in (len(paths), len(paths) * len(keys)):
        raise InvalidInputError(
            f'--legend: give {len(paths)} names (one per log) or '
            f'{len(paths) * len(keys)} (one per log and key), got '
            f'{len(names)}.')
    fig, axes = plt.subplots(
        len(keys), 1, figsize=(7, 2.8 * len(keys)), squeeze=False)
    for row, key in enumerate(keys):
        ax = axes[row, 0]
        for i, log in enumerate(logs):
            xs, ys = series(log, key)
            if not xs.size:
                print(f'{paths[i]}: no {key!r}, skipped')
                continue
            label = names[i] if len(names) == len(logs) else \
                names[i * len(keys) + row]
            marker = 'o' if xs.size < 30 else None
            ax.plot(xs, ys, label=label, marker=marker, markersize=3)
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[-1, 0].set_xlabel('iteration')
    if title:
        axes[0, 0].set_title(title)
    fig.tight_layout()
    if out:
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
        fig.savefig(out, dpi=120)
        plt.close(fig)
        print(f'curves of {", ".join(keys)} saved to {out}')
    else:
        plt.show()
    return fig


def train_time(path: str, include_outliers: bool = False) -> dict:
    """Per-iteration time statistics of a log's training lines.

    Each line's ``time`` is the mean s/iter since the previous line; the
    first line (start-up) is left out unless ``include_outliers``.
    ``total_s`` = Σ time_i · (iter_i − iter_{i−1}) over the kept lines.
    """
    rows = [r for r in load_log(path)['train'] if 'time' in r]
    prev = [0] + [r['iter'] for r in rows[:-1]]
    spans = [r['iter'] - p for r, p in zip(rows, prev)]
    if not include_outliers:
        rows, spans = rows[1:], spans[1:]
    if not rows:
        raise InvalidInputError(
            f'{path} has no timed training lines to analyse (with '
            '--include-outliers the first one counts too).')
    times = np.array([r['time'] for r in rows], np.float64)
    return dict(
        mean=float(times.mean()),
        std=float(times.std()),
        slowest_iter=int(rows[int(times.argmax())]['iter']),
        slowest=float(times.max()),
        fastest_iter=int(rows[int(times.argmin())]['iter']),
        fastest=float(times.min()),
        total_s=float((times * np.asarray(spans, np.float64)).sum()),
        iters=int(sum(spans)))


def cal_train_time(paths: Sequence[str],
                   include_outliers: bool = False) -> List[dict]:
    """Print and return :func:`train_time` of every log."""
    results = []
    for path in paths:
        stats = train_time(path, include_outliers)
        print(f'-----Analyze train time of {path}-----')
        print(f'slowest iter {stats["slowest_iter"]}: '
              f'{stats["slowest"]:.4f} s/iter')
        print(f'fastest iter {stats["fastest_iter"]}: '
              f'{stats["fastest"]:.4f} s/iter')
        print(f'time std over logged intervals: {stats["std"]:.4f}')
        print(f'average iter time: {stats["mean"]:.4f} s/iter '
              f'({stats["total_s"]:.1f} s for {stats["iters"]} iters)')
        results.append(stats)
    return results


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Analyse mmengine logs')
    sub = parser.add_subparsers(dest='task', required=True)
    plot = sub.add_parser('plot_curve', help='plot curves of some keys')
    plot.add_argument('json_logs', nargs='+', help='scalars.json files')
    plot.add_argument(
        '--keys', nargs='+', default=['loss'], help='keys to plot')
    plot.add_argument('--legend', nargs='+', help='line names')
    plot.add_argument('--title', help='figure title')
    plot.add_argument('--out', help='image file; default: show a window')
    timing = sub.add_parser('cal_train_time', help='time per iteration')
    timing.add_argument('json_logs', nargs='+', help='scalars.json files')
    timing.add_argument(
        '--include-outliers',
        action='store_true',
        help='count the first logged interval (start-up) too')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    with exit_on_user_error():
        for path in args.json_logs:
            find_log(path)
        if args.task == 'plot_curve':
            plot_curve(args.json_logs, args.keys, args.legend, args.out,
                       args.title)
        else:
            cal_train_time(args.json_logs, args.include_outliers)


if __name__ == '__main__':
    main()
