"""Mean ± std of pipeline metrics over repeated runs (seeds).

Example::

    python tools/analysis/aggregate_reports.py \
        GAP='work_dirs/study/gap_s*' GPP='work_dirs/study/gpp_s*' \
        --metrics train:multi-label/mAP cams:cam/mIoU_best cams:cam/J&F_best

Each ``NAME=GLOB`` names a group of ``tools/run_pipeline.py`` work dirs;
their ``report.json`` files are read and every requested
``stage:metric`` is summarised as ``mean ± std`` (sample standard
deviation, n - 1) over the runs that have it, with the seeds listed. The
table is printed as markdown (``--json`` writes the numbers too).
"""
import argparse
import glob
import json
import os.path as osp
import statistics
import sys
from typing import Dict, List

DEFAULT_METRICS = ('train:multi-label/mAP', 'cams:cam/mIoU_best',
                   'cams:cam/J&F_best', 'refine:pseudo/mIoU',
                   'segment:single/mIoU')


def read_reports(pattern: str) -> List[dict]:
    """The ``report.json`` of every work dir matching ``pattern``."""
    reports = []
    for work_dir in sorted(glob.glob(pattern)):
        path = osp.join(work_dir, 'report.json')
        if osp.isfile(path):
            with open(path) as f:
                reports.append(json.load(f))
    return reports


def summarize(reports: List[dict], metrics: List[str]) -> Dict[str, dict]:
    """``{metric: {mean, std, n, values}}`` for the runs that report it."""
    out = {}
    for key in metrics:
        stage, metric = key.split(':', 1)
        values = [
            r['stages'][stage]['metrics'][metric] for r in reports
            if metric in r.get('stages', {}).get(stage, {}).get('metrics', {})
        ]
        values = [float(v) for v in values if isinstance(v, (int, float))]
        if values:
            out[key] = dict(
                mean=statistics.fmean(values),
                std=statistics.stdev(values) if len(values) > 1 else 0.0,
                n=len(values),
                values=values)
    return out


def render(groups: Dict[str, dict], seeds: Dict[str, list],
           metrics: List[str]) -> str:
    """A markdown table: one row per group, one column per metric."""
    names = [m.split(':', 1)[1] for m in metrics]
    lines = ['| group | seeds | ' + ' | '.join(names) + ' |',
             '|---|---|' + '---|' * len(metrics)]
    for group, summary in groups.items():
        cells = []
        for key in metrics:
            s = summary.get(key)
            cells.append('–' if s is None else
                         f'{s["mean"]:.1f} ± {s["std"]:.1f} (n={s["n"]})')
        lines.append(f'| {group} | {", ".join(map(str, seeds[group]))} | ' +
                     ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('groups', nargs='+', help='NAME=GLOB of work dirs')
    parser.add_argument('--metrics', nargs='+', default=DEFAULT_METRICS,
                        help='stage:metric keys of report.json')
    parser.add_argument('--json', help='also write the numbers here')
    args = parser.parse_args(argv)
    groups, seeds = {}, {}
    for item in args.groups:
        if '=' not in item:
            sys.exit(f'error: group "{item}" is not NAME=GLOB')
        name, pattern = item.split('=', 1)
        reports = read_reports(pattern)
        if not reports:
            sys.exit(f'error: no report.json under {pattern}; run '
                     'tools/run_pipeline.py there first')
        groups[name] = summarize(reports, list(args.metrics))
        seeds[name] = [r.get('seed') for r in reports]
    print(render(groups, seeds, list(args.metrics)))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(groups=groups, seeds=seeds), f, indent=2)


if __name__ == '__main__':
    main()
