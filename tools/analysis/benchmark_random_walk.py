"""Seconds, peak memory and agreement of the sparse random walk against the
official dense matrix squaring, on 500 x 375 (W x H) images.

``python tools/analysis/benchmark_random_walk.py [--device cpu]
[--threads 1 2] [--repeats 3] [--irn-dense-full] [--train-step] [--quick]
[--omp-wait-policy passive]``

Full walks from CAM-like scores to a label map, sparse (``psa_walk``,
``irn_semantic_label``, float64) and dense (the official algorithm: the
N x N transition matrix squared L times, float32 by default):

* psa / AEFT / hfpl, stride 8 (47 x 63 cells, psa pairs r = 5, beta 8):
  psa logt 8 (alpha 16) and AEFT / hfpl logt 6 (alpha 19); the dense path
  walks all 21 channels as psa does, the sparse one bg + present classes.
* IRN, stride 4 (94 x 125 cells, all pairs r = 5, beta 10, exp_times 8):
  sparse at 500 x 375; dense (minutes and ~2 GB there) at 200 x 150 and
  300 x 225 by default, with an N^3 (time) / N^2 (memory) extrapolation
  to 500 x 375; ``--irn-dense-full`` runs the real size.

Inputs: a few Gaussian blobs per class (3 classes) as CAMs; psa
affinities exp(-mean |phi_i - phi_j|) of a feature map of blob regions and
smooth noise; for IRN a boundary map of blob rims and straight lines
(``random_walk_cases.py``). Every case runs in a fresh subprocess with
``torch.set_num_threads`` (on a machine whose cores are busy with other
work, OpenMP's default spinning at barriers makes 2 threads several times
slower than 1 for the many short sparse steps: ``--omp-wait-policy
passive`` avoids it); seconds are the median of ``--repeats`` full
walks (dense IRN: one), peak MB the child's RSS high-water mark above its
RSS after imports, inputs and a warm-up walk on an 80 x 48 image.
Agreement: max |sparse - dense| of the walked scores, and the share of
identical label pixels.

``--device cuda``: every walk (sparse and dense) runs on ``cuda:0``, its
inputs moved there once before timing (psa CAMs stay NumPy, as
``psa_walk`` takes them: both psa paths copy the scores in each walk);
each walk is bracketed by ``torch.cuda.synchronize()``; peak MB is GPU
memory, ``torch.cuda.max_memory_allocated()`` after
``torch.cuda.reset_peak_memory_stats()``, above the inputs; ``--threads``
is ignored (one row per case, threads ``-``). Without CUDA it exits with
status 2. The training step stays on the CPU.

``--train-step``: one AffinityNet and one IRNet training step on CPU
(also with ``--device cuda``)
(random init, random images, pair labels from the configs' own pipelines;
``affinity_train_step.py``). ``--quick``: small grids, one repeat, no
training step (used by the tests).
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

from mmwsss.utils import InvalidInputError, exit_on_user_error  # noqa: E402

FULL = (375, 500)  # (H, W) here; tables print W x H
WARMUP = (48, 80)
IRN_DENSE_SIZES = ((150, 200), (225, 300))
QUICK = dict(psa=(120, 160), irn_dense=((60, 80), ), irn_sparse=(120, 160))
PSA_CASES = (('psa', 8, 16.0), ('AEFT/hfpl', 6, 19.0))
IRN_EXP_TIMES = 8
TRAIN_CASES = (
    ('AffinityNet', 'affinitynet',
     'configs/affinity/affinitynet_r38_psa_voc.py'),
    ('IRNet', 'irnet', 'configs/affinity/irn_r50_irn_voc.py'),
)
WALK_HEADER = ('| case | path | image (WxH) | grid (hxw) | channels | '
               'steps | threads | seconds | peak MB | speed-up | '
               'max abs diff | identical pixels % |')
TRAIN_HEADER = ('| model | config | batch | crop | threads | seconds | '
                'peak MB (step) | peak MB (process) | loss |')


def grid_of(kind: str, size) -> tuple:
    """Cells of the walk: stride 8 padded up (psa) or (H - 1) // 4 + 1."""
    if kind == 'psa':
        return tuple(-(-s // 8) for s in size)
    return tuple((s - 1) // 4 + 1 for s in size)


def child_main(job: dict, result: str) -> None:
    """Run one case in this (fresh) process; write its arrays to
    ``result`` (npz) and print its figures as one JSON line."""
    os.environ.setdefault('PYTHONWARNINGS', 'ignore')
    import warnings
    warnings.simplefilter('ignore')
    import torch
    if job['threads'] is not None:
        torch.set_num_threads(job['threads'])
    if job['kind'] == 'train':
        from affinity_train_step import train_case
        print(json.dumps(train_case(job)))
        return
    import random_walk_cases as cases
    warmup = dict(job, size=WARMUP)  # first-call costs out of the peak
    cases.walk_once(warmup, cases.on_device(warmup,
                                            cases.make_inputs(warmup)))
    inputs = cases.on_device(job, cases.make_inputs(job))
    timed = (cases.timed_runs if job.get('device', 'cpu') == 'cpu' else
             cases.timed_runs_cuda)
    run = timed(lambda: cases.walk_once(job, inputs), job['repeats'])
    walked = torch.as_tensor(run['out']['walked']).cpu()
    np.savez(
        result,
        walked=np.asarray(walked, np.float64),
        label=np.asarray(run['out']['label']))
    print(json.dumps(dict(seconds=run['seconds'], peak_mb=run['peak_mb'])))


def run_child(job: dict, workdir: str) -> dict:
    """One case in a subprocess: its JSON figures plus ``walked`` and
    ``label`` for walks."""
    result = osp.join(workdir, 'case.npz')
    env = dict(os.environ)
    if job['threads'] is not None:
        env.update(OMP_NUM_THREADS=str(job['threads']),
                   MKL_NUM_THREADS=str(job['threads']))
    if job.get('omp_wait_policy', 'inherit') != 'inherit':
        env['OMP_WAIT_POLICY'] = job['omp_wait_policy'].upper()
    proc = subprocess.run(
        [sys.executable, osp.abspath(__file__), '--case', json.dumps(job),
         '--result', result],
        capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f'case {job} failed (exit {proc.returncode}):\n'
                           f'{proc.stderr[-3000:]}')
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if job['kind'] != 'train':
        with np.load(result) as arrays:
            out.update(walked=arrays['walked'], label=arrays['label'])
        os.remove(result)
    return out


def walk_row(name, path, job, run, dense=None, note='') -> dict:
    """A table row; agreement and speed-up against ``dense`` (a run of
    the same inputs) when given."""
    kind, size = job['kind'], job['size']
    cells = grid_of(kind, size)
    row = dict(
        case=name, path=path + note, image=f'{size[1]}x{size[0]}',
        grid=f'{cells[0]}x{cells[1]}', channels=job['channels'],
        steps=2**job['logt'], threads=job['threads'],
        seconds=run['seconds'], peak_mb=run['peak_mb'], speedup=None,
        diff=None, identical=None)
    if dense is not None:
        row['speedup'] = dense['seconds'] / run['seconds']
        if 'walked' in dense:
            row['diff'] = float(np.abs(run['walked'] - dense['walked']).max())
            row['identical'] = 100 * float(
                (run['label'] == dense['label']).mean())
    return row


def fmt(value, pattern, missing='-'):
    return missing if value is None else pattern.format(value)


def print_walk_table(title: str, rows: list) -> None:
    print(f'\n### {title}\n\n{WALK_HEADER}\n' + '|---' * 12 + '|')
    for r in rows:
        print(f"| {r['case']} | {r['path']} | {r['image']} | {r['grid']} | "
              f"{r['channels']} | {r['steps']} | {fmt(r['threads'], '{}')} | "
              f"{r['seconds']:.3f} | {r['peak_mb']:.1f} | "
              f"{fmt(r['speedup'], '{:.0f}x')} | {fmt(r['diff'], '{:.1e}')} "
              f"| {fmt(r['identical'], '{:.3f}')} |")


def psa_rows(args, sizes, workdir) -> list:
    rows = []
    for name, logt, alpha in PSA_CASES:
        for threads in args.threads:
            base = dict(kind='psa', size=sizes['psa'], logt=logt,
                        alpha=alpha, threads=threads, repeats=args.repeats,
                        dtype=args.dense_dtype, device=args.device,
                        omp_wait_policy=args.omp_wait_policy)
            dense_job = dict(base, path='dense', channels=21)
            sparse_job = dict(base, path='sparse', channels=4)
            dense = run_child(dense_job, workdir)
            sparse = run_child(sparse_job, workdir)
            rows.append(walk_row(name, 'dense', dense_job, dense))
            rows.append(walk_row(name, 'sparse', sparse_job, sparse, dense))
    return rows


def irn_rows(args, sizes, workdir) -> list:
    rows = []
    dense_sizes = list(sizes['irn_dense'])
    full = tuple(sizes['irn_sparse'])
    if args.irn_dense_full and full not in dense_sizes:
        dense_sizes.append(full)
    for threads in args.threads:
        base = dict(kind='irn', logt=IRN_EXP_TIMES, threads=threads,
                    channels=3, dtype=args.dense_dtype, device=args.device,
                    omp_wait_policy=args.omp_wait_policy)
        last = None
        for size in dense_sizes:
            dense_job = dict(base, path='dense', size=size, repeats=1)
            sparse_job = dict(base, path='sparse', size=size,
                              repeats=args.repeats)
            dense = run_child(dense_job, workdir)
            sparse = run_child(sparse_job, workdir)
            rows.append(walk_row('IRN', 'dense', dense_job, dense))
            rows.append(walk_row('IRN', 'sparse', sparse_job, sparse,
                                 dense))
            last = (size, dense)
        if tuple(last[0]) == full:
            continue
        sparse_job = dict(base, path='sparse', size=full,
                          repeats=args.repeats)
        sparse = run_child(sparse_job, workdir)
        ratio = np.prod(grid_of('irn', full)) / np.prod(
            grid_of('irn', last[0]))
        guess = dict(seconds=last[1]['seconds'] * ratio**3,
                     peak_mb=last[1]['peak_mb'] * ratio**2)
        rows.append(
            walk_row('IRN', 'dense', dict(sparse_job, path='dense'), guess,
                     note=f' (extrapolated from {last[0][1]}x{last[0][0]})'))
        rows.append(walk_row('IRN', 'sparse', sparse_job, sparse, guess))
    return rows


def train_rows(args, workdir) -> list:
    rows = []
    settings = dict(
        affinitynet=(args.aff_batch, args.aff_crop),
        irnet=(args.irn_batch, args.irn_crop))
    for name, model, config in TRAIN_CASES:
        batch, crop = settings[model]
        job = dict(kind='train', model=model, config=osp.join(ROOT, config),
                   batch=batch, crop=crop, threads=args.train_threads,
                   omp_wait_policy=args.omp_wait_policy)
        out = run_child(job, workdir)
        rows.append(dict(out, model=name, config=config, batch=batch,
                         crop=crop, threads=args.train_threads))
    print('\n### One training step on CPU (random init, random images; '
          'official AffinityNet batch 8 crop 448, IRN batch 32 crop 512; '
          'smaller batches here keep it short)\n\n'
          f'{TRAIN_HEADER}\n' + '|---' * 9 + '|')
    for r in rows:
        print(f"| {r['model']} | {osp.basename(r['config'])} | {r['batch']} "
              f"| {r['crop']} | {r['threads']} | {r['seconds']:.2f} | "
              f"{r['peak_mb']:.0f} | {r['total_mb']:.0f} | "
              f"{r['loss']:.4f} |")
    return rows


def where(threads) -> str:
    return 'on the GPU' if threads is None else f'at {threads} thread(s)'


def summary(psa: list, irn: list, full) -> None:
    """The targets: psa >= 50x, IRN sparse <= 2 s per image on the full
    image, labels identical."""
    grid = grid_of('irn', full)
    irn_full = [r for r in irn if r['path'] == 'sparse'
                and r['grid'] == f'{grid[0]}x{grid[1]}']
    identical = [r['identical'] for r in psa + irn
                 if r['identical'] is not None]
    print('\n### Targets\n')
    for threads in sorted({r['threads'] for r in psa}):
        speedups = [r['speedup'] for r in psa
                    if r['path'] == 'sparse' and r['threads'] == threads]
        met = 'met' if min(speedups) >= 50 else 'NOT met'
        print(f'- psa walks >= 50x faster than dense {where(threads)}: '
              f'min {min(speedups):.0f}x ({met})')
    for r in irn_full:
        met = 'met' if r['seconds'] <= 2 else 'NOT met'
        print(f"- IRN sparse walk at {r['image']}, {where(r['threads'])}: "
              f"{r['seconds']:.2f} s per image (<= 2 s: {met})")
    print(f'- identical label pixels: min {min(identical):.3f} % over '
          f'{len(identical)} comparisons')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--device', choices=('cpu', 'cuda'), default='cpu',
        help='where the walks run (cuda: cuda:0, --threads ignored)')
    parser.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument(
        '--dense-dtype', choices=('float32', 'float64'), default='float32',
        help='dtype of the dense path (official: float32)')
    parser.add_argument('--irn-dense-full', action='store_true',
                        help='also run the dense IRN walk at 500x375')
    parser.add_argument(
        '--omp-wait-policy', choices=('inherit', 'passive', 'active'),
        default='inherit',
        help='OMP_WAIT_POLICY of the cases (passive: no spinning at '
        'barriers, for machines whose cores are busy with other work)')
    parser.add_argument('--train-step', action='store_true')
    parser.add_argument('--train-threads', type=int, default=None,
                        help='default: the largest of --threads')
    parser.add_argument('--aff-batch', type=int, default=2)
    parser.add_argument('--aff-crop', type=int, default=448)
    parser.add_argument('--irn-batch', type=int, default=2)
    parser.add_argument('--irn-crop', type=int, default=512)
    parser.add_argument('--quick', action='store_true',
                        help='small grids, one repeat, no training step')
    parser.add_argument('--case', help=argparse.SUPPRESS)
    parser.add_argument('--result', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.threads) < 1 or args.repeats < 1:
        parser.error('--threads and --repeats must be >= 1')
    if args.train_threads is None:
        args.train_threads = max(args.threads)
    if args.device == 'cuda':
        check_cuda()
        args.threads = [None]
    return args


def check_cuda() -> None:
    """Exit with status 2 and one line when CUDA is not available."""
    import torch
    with exit_on_user_error():
        if not torch.cuda.is_available():
            raise InvalidInputError(
                '--device cuda: CUDA is not available here '
                '(torch.cuda.is_available() is False); run with --device '
                'cpu')


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.case:
        child_main(json.loads(args.case), args.result)
        return {}
    sizes = dict(psa=FULL, irn_dense=IRN_DENSE_SIZES, irn_sparse=FULL)
    if args.quick:
        sizes = dict(QUICK)
        args.repeats, args.train_step = 1, False
    policy = (os.environ.get('OMP_WAIT_POLICY', 'unset')
              if args.omp_wait_policy == 'inherit' else
              args.omp_wait_policy.upper())
    if args.device == 'cuda':
        import torch
        print(f'GPU: {torch.cuda.get_device_name(0)}; peak MB is GPU '
              'memory (max_memory_allocated above the inputs)')
    print(f'CPU: {os.cpu_count()} cores, load average '
          f'{os.getloadavg()[0]:.1f} at start; threads {args.threads}; '
          f'median of {args.repeats} walk(s) per case, dense IRN once; '
          f'dense path {args.dense_dtype}, sparse float64; '
          f'OMP_WAIT_POLICY {policy}')
    with tempfile.TemporaryDirectory() as workdir:
        psa = psa_rows(args, sizes, workdir)
        on = (' on cuda:0, peak MB of GPU memory'
              if args.device == 'cuda' else '')
        print_walk_table(f'psa / AEFT / hfpl walk (stride 8){on}', psa)
        irn = irn_rows(args, sizes, workdir)
        print_walk_table(f'IRN walk (stride 4){on}', irn)
        summary(psa, irn, sizes['irn_sparse'])
        train = train_rows(args, workdir) if args.train_step else []
    return dict(psa=psa, irn=irn, train=train)


if __name__ == '__main__':
    main()
