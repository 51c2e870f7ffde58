"""Test a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [options]``."""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config, DictAction

from mmwsss.engine import (
    build_runner,
    check_data_root,
    load_run_config,
    use_tta,
)
from mmwsss.utils import (
    MissingInputError,
    exit_on_user_error,
    setup_cpu_distributed,
)


def parse_args():
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='where to save the evaluation metrics')
    parser.add_argument(
        '--out', help='dump the raw predictions to this pickle file')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test-time augmentation from the config\'s tta_model and '
        'tta_pipeline (segmentation configs)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_cfg(args) -> Config:
    """Config with the command-line overrides applied."""
    if not osp.isfile(args.checkpoint):
        raise MissingInputError(
            f'Checkpoint {args.checkpoint} does not exist. Fix: pass the '
            '.pth written by tools/train.py (work_dirs/<config stem>/'
            'iter_*.pth) or a released checkpoint.')
    cfg = load_run_config(args.config, args.cfg_options, args.work_dir,
                          args.launcher)
    check_data_root(cfg, 'test_dataloader')
    cfg.load_from = args.checkpoint
    if args.tta:
        use_tta(cfg)
    if args.out is not None:
        evaluators = cfg.test_evaluator
        if isinstance(evaluators, dict):
            evaluators = [evaluators]
        cfg.test_evaluator = list(evaluators) + [
            dict(type='DumpResults', out_file_path=args.out)
        ]
    setup_cpu_distributed(cfg, args.launcher)
    return cfg


def main():
    args = parse_args()
    with exit_on_user_error():
        build_runner(build_cfg(args)).test()


if __name__ == '__main__':
    main()
