"""Train a model from a config: ``python tools/train.py CONFIG [options]``."""
import argparse
import logging
import os
import os.path as osp
import sys
import warnings

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config, DictAction
from mmengine.logging import print_log

from mmwsss.engine import (
    build_runner,
    check_data_root,
    check_pretrained,
    load_run_config,
)
from mmwsss.engine.checkpoints import resume_or_load
from mmwsss.utils import (
    MissingInputError,
    exit_on_user_error,
    setup_cpu_distributed,
)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--work-dir', help='where to save logs and checkpoints; default '
        'work_dirs/<config stem>')
    parser.add_argument(
        '--resume',
        action='store_true',
        help='resume from the latest checkpoint in the work dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision (AmpOptimWrapper, float16 autocast) on CUDA; '
        'on a CPU it warns and trains in float32')
    parser.add_argument(
        '--sync-bn',
        action='store_true',
        help="synchronise BatchNorm over the processes (cfg.sync_bn='torch'"
        '): 2 processes at half the batch train as 1 at the full batch; '
        'CPU processes synchronise over gloo')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value (e.g. '
        'train_cfg.max_iters=2 "model.cam_cfg.scales=[1.0,0.5]")')
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
    cfg = load_run_config(args.config, args.cfg_options, args.work_dir,
                          args.launcher)
    if args.sync_bn:
        cfg.sync_bn = 'torch'
    if args.amp:
        import torch
        if not torch.cuda.is_available():
            warnings.warn('--amp: no CUDA device, so mixed precision is off '
                          'and the run trains in float32.')
        elif cfg.optim_wrapper.get('type',
                                   'OptimWrapper') == 'AmpOptimWrapper':
            print_log('AMP is already enabled in the config.', 'current',
                      logging.WARNING)
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.resume:
        # the newest whole checkpoint: a kill while one was being written
        # leaves a truncated file under its final name
        resume_or_load(cfg)
        if not cfg.resume:
            raise MissingInputError(
                f'--resume: {cfg.work_dir} holds no intact checkpoint to '
                'resume from. Drop --resume to start from scratch, or pass '
                'the --work-dir of the run to continue.')
    setup_cpu_distributed(cfg, args.launcher)
    return cfg


def main():
    args = parse_args()
    with exit_on_user_error():
        cfg = build_cfg(args)
        check_data_root(cfg, 'train_dataloader')
        check_pretrained(cfg)
        build_runner(cfg).train()


if __name__ == '__main__':
    main()
