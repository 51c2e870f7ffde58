"""The sweep's reports: markdown table, CSV, JSON and a PNG plot."""
import csv
import io
import logging
import os.path as osp
from typing import Dict, Optional, Sequence

from mmengine.logging import print_log

from mmwsss.utils.atomic_io import atomic_write, atomic_write_json
from .sample import GaussianCamSample


def _fmt_sigma(sigma: Optional[float]) -> str:
    return 'none' if sigma is None else f'{sigma:g}'


def markdown_table(result: dict) -> str:
    """The sweep as a markdown table, scores in percent; the first row is
    the Gaussian CAM before optimisation, ΔJ&F is against it."""
    init = result['initial']
    lines = [
        '| sweep | μ | σ | J | F | J&F | ΔJ&F |',
        '|---|---|---|---|---|---|---|',
        f'| Gaussian CAM (before) | – | – | {100 * init["J"]:.2f} | '
        f'{100 * init["F"]:.2f} | {100 * init["JF"]:.2f} | – |',
    ]
    for row in result['rows']:
        lines.append(
            f'| {row["sweep"]} | {row["mu"]:g} | {_fmt_sigma(row["sigma"])} '
            f'| {100 * row["J"]:.2f} | {100 * row["F"]:.2f} | '
            f'{100 * row["JF"]:.2f} | '
            f'{100 * (row["JF"] - init["JF"]):+.2f} |')
    return '\n'.join(lines) + '\n'


CSV_FIELDS = ('sweep', 'mu', 'sigma', 'steps', 'lr', 'J', 'F', 'JF', 'loss',
              'J_init', 'F_init', 'JF_init')


def csv_text(result: dict) -> str:
    """One line per sweep point (fractions, not percent), columns
    :data:`CSV_FIELDS`; σ = None is written as ``none``."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, CSV_FIELDS, lineterminator='\n')
    writer.writeheader()
    init = result['initial']
    for row in result['rows']:
        writer.writerow(
            dict({k: row[k]
                  for k in CSV_FIELDS[:9]},
                 sigma=_fmt_sigma(row['sigma']),
                 J_init=init['J'],
                 F_init=init['F'],
                 JF_init=init['JF']))
    return buf.getvalue()


def plot_sweep(result: dict, path: str) -> bool:
    """J, F and J&F against μ (at the base σ) and σ (at the base μ), the
    scores before optimisation dashed; written as PNG with matplotlib's Agg
    canvas. Returns False (and writes nothing) without matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return False
    init = result['initial']
    fig = Figure(figsize=(10, 4), dpi=100)
    FigureCanvasAgg(fig)
    base = dict(mu=result['base_mu'], sigma=result['base_sigma'])
    labels = ('μ (σ = {sigma})', 'σ (μ = {mu})')
    for ax, name, label in zip(fig.subplots(1, 2), ('mu', 'sigma'), labels):
        rows = [
            r for r in result['rows']
            if r['sweep'] == name and r[name] is not None
        ]
        rows.sort(key=lambda r: r[name])
        xs = [r[name] for r in rows]
        for key, title, colour in (('J', 'J', 'C0'), ('F', 'F', 'C1'),
                                   ('JF', 'J&F', 'C2')):
            ax.plot(xs, [100 * r[key] for r in rows], 'o-', color=colour,
                    label=title)
            ax.axhline(100 * init[key], color=colour, ls='--', lw=0.8)
        if base[name] is not None:
            ax.axvline(base[name], color='grey', ls=':', lw=0.8)
        ax.set_xlabel(label.format(mu=f'{base["mu"]:g}',
                                   sigma=_fmt_sigma(base['sigma'])))
        ax.set_ylabel('score (%); dashed: before')
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
        if not rows:
            ax.set_title('(no points)')
    fig.axes[0].legend(loc='best')
    fig.suptitle('FSL on Gaussian CAMs: scores after optimisation')
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format='png')
    atomic_write(path, buf.getvalue())
    return True


def json_report(result: dict,
                samples: Sequence[GaussianCamSample],
                settings: Optional[dict] = None) -> dict:
    """A JSON-able record: settings, samples and every score."""
    return dict(
        settings=settings or {},
        samples=[
            dict(
                sample_id=s.sample_id,
                img_id=s.img_id,
                label=s.label,
                class_name=s.class_name,
                size=list(s.gt.shape)) for s in samples
        ],
        **result)


def write_reports(result: dict,
                  samples: Sequence[GaussianCamSample],
                  out_dir: str,
                  settings: Optional[dict] = None) -> Dict[str, str]:
    """Write ``sweep.md``, ``sweep.csv``, ``sweep.json`` and ``sweep.png``
    (the PNG only with matplotlib) into ``out_dir``.

    Returns:
        dict: kind (``md``, ``csv``, ``json``, ``png``) → written path.
    """
    paths = {
        k: osp.join(out_dir, f'sweep.{k}')
        for k in ('md', 'csv', 'json', 'png')
    }
    atomic_write(paths['md'], markdown_table(result).encode())
    atomic_write(paths['csv'], csv_text(result).encode())
    atomic_write_json(paths['json'], json_report(result, samples, settings))
    if not plot_sweep(result, paths['png']):
        print_log(
            'matplotlib is not installed: no plot written (pip install '
            'matplotlib).',
            logger='current',
            level=logging.WARNING)
        del paths['png']
    return paths
