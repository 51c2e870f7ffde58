"""The pipeline report as markdown (``report.md`` beside ``report.json``)."""
from typing import List


def _fmt(value) -> str:
    if isinstance(value, float):
        return f'{value:.2f}'
    return '-' if value is None else str(value)


def render_markdown(report: dict) -> str:
    """A stage table (status, items, time), the weight files the training
    stages started from (path and weights digest), one metric table, the ids
    of the images each stage left out (``on_bad_sample='skip'``) and the
    report's figures (``report['figures']``: title and path relative to
    the work dir, see :mod:`mmwsss.stages.report_figures`)."""
    lines: List[str] = [
        f'# Pipeline report: {report["config"]}', '',
        f'seed: {report["seed"]}; ' + ', '.join(
            f'{k} {v}' for k, v in report['versions'].items()), '',
        '| stage | status | items | wall time (s) | items/s |',
        '|---|---|---|---|---|'
    ]
    for name, stage in report['stages'].items():
        lines.append(f'| {name} | {stage["status"]} | {_fmt(stage["count"])}'
                     f' | {_fmt(stage["wall_time_s"])} | '
                     f'{_fmt(stage["items_per_s"])} |')
    weights = [(name, where, entry)
               for name, stage in report['stages'].items()
               for where, entry in (stage.get('weights') or {}).items()]
    if weights:
        lines += ['', 'Weights the training stages started from:', ''] + [
            f'- {name}: {entry["path"]} (`{where}`, weights sha256 '
            f'{entry["weights_sha256"]})' for name, where, entry in weights
        ]
    lines += ['', '| stage | metric | value |', '|---|---|---|']
    for name, stage in report['stages'].items():
        for key, value in (stage.get('metrics') or {}).items():
            if isinstance(value, (int, float)) or value is None:
                lines.append(f'| {name} | {key} | {_fmt(value)} |')
    skipped = {
        name: stage['skipped']
        for name, stage in report['stages'].items() if stage.get('skipped')
    }
    if skipped:
        lines += [
            '', "Images left out as unreadable (on_bad_sample='skip'):", ''
        ] + [
            f'- {name}: {len(ids)} ({", ".join(ids)})'
            for name, ids in skipped.items()
        ]
    figures = report.get('figures') or []
    if figures:
        lines += ['', '## Figures']
        for figure in figures:
            lines += ['', f'### {figure["title"]}', '',
                      f'![{figure["title"]}]({figure["path"]})']
    return '\n'.join(lines) + '\n'
