"""Run the whole WSSS pipeline of one method config, cached and resumable.

``python tools/run_pipeline.py CONFIG [--work-dir DIR] [--stages ...]``

The config's ``stages`` section declares the stages (e.g. train -> cams ->
refine -> segment; BANA: train -> box_labels -> segment). Each writes
``<work-dir>/<stage>/manifest.json``; unchanged finished stages are skipped,
interrupted ones resume, changed ones re-run with everything after them.
``--stages`` runs those stages and the ones they need. The report goes to
``<work-dir>/report.{json,md}`` and is printed at the end. ``--quiet``
sends everything else to ``<work-dir>/pipeline.log`` and shows only the
stage and training-progress lines, and the progress of per-image stages as
a line per 10 % (``[refine] 600/2000 images (30 %), eta 2:10``; ``make
demo`` uses it).

Several processes: ``tools/dist_run_pipeline.sh CONFIG N [args]``
(torchrun, ``--launcher pytorch``) or ``tools/slurm_run_pipeline.sh
PARTITION JOB CONFIG [args]`` (srun, ``--launcher slurm``): training stages
run DDP, per-image stages split their ids across the processes, and rank 0
scores, writes the manifests and the report. The outputs of the per-image
stages are the same for any number of processes.
"""
import argparse
import contextlib
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import DictAction  # noqa: E402
from mmengine.dist import get_rank, is_main_process  # noqa: E402

from mmwsss.apis import PipelineRunner  # noqa: E402
from mmwsss.apis.pipeline_runner import init_pipeline_launcher  # noqa: E402
from mmwsss.engine import load_run_config  # noqa: E402
from mmwsss.stages.report import render_markdown  # noqa: E402
from mmwsss.utils import exit_on_user_error  # noqa: E402
from mmwsss.utils.quiet_console import quiet_console  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='method config with a stages section')
    parser.add_argument(
        '--work-dir', help='stage root; default work_dirs/<config stem>')
    parser.add_argument(
        '--stages',
        nargs='+',
        help='run these stages and those they need (default: all)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm'],
        default='none',
        help='job launcher: pytorch under torchrun (tools/'
        'dist_run_pipeline.sh), slurm under srun (tools/'
        'slurm_run_pipeline.sh)')
    parser.add_argument(
        '--quiet',
        action='store_true',
        help='full output to <work-dir>/pipeline.log; the console shows '
        'stage and training progress, a line per 10 %% of per-image '
        'stages and the report')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if args.launcher != 'none' and 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    args = parse_args(argv)
    with exit_on_user_error():
        cfg = load_run_config(args.config, args.cfg_options, args.work_dir,
                              args.launcher)
        init_pipeline_launcher(cfg)
        quiet = contextlib.nullcontext()
        if args.quiet:
            rank = get_rank()
            log = osp.join(cfg.work_dir, 'pipeline.log' if rank == 0 else
                           f'pipeline_rank{rank}.log')
            if is_main_process():
                print(f'Full log: {log}', flush=True)
            quiet = quiet_console(log)
        with quiet:
            report = PipelineRunner(cfg, cfg.work_dir,
                                    args.config).run(args.stages)
        if is_main_process():
            print('\n' + render_markdown(report))
        return report


if __name__ == '__main__':
    main()
