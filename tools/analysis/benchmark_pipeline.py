"""Per-stage throughput and peak memory of the pipeline on the toy set,
plus DenseCRF seconds per image at 500x375 with 21 labels (1 vs 2 workers).

``python tools/analysis/benchmark_pipeline.py [CONFIG] [--work-dir DIR]
[--skip-crf]``

Each stage runs in its own process (``tools/run_pipeline.py --stages S``,
the earlier stages reused from their manifests), so the peak resident
memory reported is that stage's (its worker processes included). Prints
figures; it is not a test. Generate the toy set first
(``python tools/misc/make_toy_voc.py --out data/toyvoc``).
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STAGES = ('train', 'cams', 'refine', 'segment')


def run_stage(config: str, work_dir: str, stage: str) -> tuple:
    """(wall seconds, peak RSS MiB) of one stage in a child process."""
    cmd = [
        sys.executable,
        osp.join(ROOT, 'tools', 'run_pipeline.py'), config, '--work-dir',
        work_dir, '--stages', stage
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f'stage {stage} failed: {" ".join(cmd)}')
    return wall, usage.ru_maxrss / 1024  # KiB on Linux


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'config',
        nargs='?',
        default=osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toy.py'))
    parser.add_argument(
        '--work-dir', default=osp.join('work_dirs', 'benchmark_pipeline'))
    parser.add_argument(
        '--skip-crf', action='store_true', help='no DenseCRF benchmark')
    args = parser.parse_args(argv)

    rows = []
    for stage in STAGES:
        wall, rss = run_stage(args.config, args.work_dir, stage)
        with open(osp.join(args.work_dir, 'report.json')) as f:
            record = json.load(f)['stages'][stage]
        rows.append((stage, record['status'], record['count'],
                     record['wall_time_s'], record['items_per_s'], wall, rss))
    print(f'\nPipeline stages ({args.config}, work dir {args.work_dir}):')
    print('| stage | status | items | stage time (s) | items/s | '
          'process time (s) | peak RSS (MiB) |')
    print('|---|---|---|---|---|---|---|')
    for stage, status, count, stage_s, rate, wall, rss in rows:
        print(f'| {stage} | {status} | {count} | {stage_s:.1f} | '
              f'{rate:.1f} | {wall:.1f} | {rss:.0f} |')
    if args.skip_crf:
        return
    print('\nDenseCRF, 500x375, 21 labels, 10 iterations:')
    for nproc in (1, 2):
        subprocess.run([
            sys.executable,
            osp.join(ROOT, 'tools', 'analysis', 'benchmark_crf.py'),
            '--images', '8', '--nproc',
            str(nproc)
        ], check=True)


if __name__ == '__main__':
    main()
