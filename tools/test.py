"""Test a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [options]``.

``--show-dir DIR`` writes one overlay per test image to ``DIR/<image
stem>.png`` (segmentation configs: image | ground truth | prediction drawn
by mmseg's ``SegLocalVisualizer``; CAM configs: image | a CAM per class |
ground truth); ``--show`` shows them in a window, or, without a display,
says so and writes them to ``--show-dir`` (default ``<work_dir>/show``).
"""
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
from mmwsss.visualization import display_available


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
        '--show-dir',
        help='write an overlay of every test prediction to this folder')
    parser.add_argument(
        '--show',
        action='store_true',
        help='show every prediction overlay in a window (without a display:'
        ' written to --show-dir, default <work_dir>/show)')
    parser.add_argument(
        '--wait-time',
        type=float,
        default=2,
        help='seconds each --show window stays (0: until a key)')
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


def add_overlay_hook(cfg: Config, args) -> None:
    """Draw the predictions as mmseg's test tool does with its
    visualization hook (``default_hooks.visualization``), for
    segmentation and CAM configs alike."""
    show, out_dir = args.show, args.show_dir
    if show and not display_available():
        out_dir = out_dir or osp.join(cfg.work_dir, 'show')
        print(
            '--show: no display here (DISPLAY unset or MPLBACKEND=Agg), so '
            f'nothing can be shown; the overlays are written to {out_dir} '
            'instead.',
            file=sys.stderr)
        show = False
    hooks = cfg.setdefault('default_hooks', {})
    hooks['visualization'] = dict(
        type='PredictionOverlayHook',
        out_dir=out_dir,
        show=show,
        wait_time=args.wait_time)


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
    if args.show or args.show_dir:
        add_overlay_hook(cfg, args)
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
