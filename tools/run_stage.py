"""Run one stage of a method config: the same stage object, settings and
output layout as ``tools/run_pipeline.py``.

``python tools/run_stage.py CONFIG STAGE [--work-dir DIR]``

STAGE is a name in the config's ``stages`` section (e.g. ``train``,
``cams``, ``refine``, ``box_labels``, ``segment``). The stages it needs
must have finished in the same work dir (``work_dirs/<config stem>`` by
default); run them first with this tool or ``tools/run_pipeline.py``. A
finished, unchanged stage is skipped; an interrupted one resumes, also
with another number of processes (``--launcher pytorch`` under torchrun,
``slurm`` under srun; see ``tools/run_pipeline.py``).
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import DictAction  # noqa: E402
from mmengine.dist import is_main_process  # noqa: E402

from mmwsss.apis import PipelineRunner  # noqa: E402
from mmwsss.apis.pipeline_runner import init_pipeline_launcher  # noqa: E402
from mmwsss.engine import load_run_config  # noqa: E402
from mmwsss.stages.report import render_markdown  # noqa: E402
from mmwsss.utils import exit_on_user_error  # noqa: E402


def parse_args(argv=None, stage=None, description=None):
    parser = argparse.ArgumentParser(
        description=description or __doc__.splitlines()[0])
    parser.add_argument('config', help='method config with a stages section')
    if stage is None:
        parser.add_argument('stage', help='stage name in the config')
    else:
        parser.add_argument(
            '--stage', default=stage, help=f'stage name (default {stage})')
    parser.add_argument(
        '--work-dir', help='stage root; default work_dirs/<config stem>')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value (e.g. '
        'stages.refine.nproc=4)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm'],
        default='none',
        help='job launcher: pytorch under torchrun (tools/'
        'dist_run_pipeline.sh), slurm under srun (tools/'
        'slurm_run_pipeline.sh)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if args.launcher != 'none' and 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None, stage=None, description=None) -> dict:
    args = parse_args(argv, stage, description)
    with exit_on_user_error():
        cfg = load_run_config(args.config, args.cfg_options, args.work_dir,
                              args.launcher)
        init_pipeline_launcher(cfg)
        runner = PipelineRunner(cfg, cfg.work_dir, args.config)
        report = runner.run([args.stage], run_upstream=False)
        if is_main_process():
            print('\n' + render_markdown(report))
        return report


if __name__ == '__main__':
    main()
