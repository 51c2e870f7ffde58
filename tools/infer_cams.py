"""Stage 2: write the CAMs of a dataset split and score them.

Example::

    python tools/infer_cams.py configs/baseline/gap_r38tiny_toy.py \
        work_dirs/gap_r38tiny_toy/iter_1000.pth --split train \
        --out-dir work_dirs/gap_r38tiny_toy/cams

Writes ``<out-dir>/<img_id>.npz`` (``keys`` int64 (K,), ``cams`` float16
(K, H, W) in [0, 1]); finished ids are skipped on a re-run. Shard over
processes with ``--rank R --world-size W`` (or torchrun's ``RANK`` /
``WORLD_SIZE``). An unsharded run then scores the CAMs against the ground
truth with ``CAMMetric`` (its settings from a ``CAMMetric`` entry of the
config's ``test_evaluator``, if any) and writes ``--metrics-file``
(default ``<out-dir>/../cam_metrics.json``).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import DictAction  # noqa: E402

from mmwsss.apis import (atomic_write_json, build_inference_dataset,  # noqa: E402,E501
                         evaluate_cams, infer_cams)
from mmwsss.apis.cam_inference import load_config  # noqa: E402
from mmwsss.utils import exit_on_user_error  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Write CAMs (stage 2)')
    parser.add_argument('config', help='stage-1 config')
    parser.add_argument('checkpoint', help='stage-1 checkpoint')
    parser.add_argument('--split', help='dataset split, e.g. train')
    parser.add_argument('--ann-file', help='explicit id list')
    parser.add_argument(
        '--out-dir', help='CAM folder (default work_dirs/<stem>/cams)')
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--num-workers', type=int, default=0)
    parser.add_argument('--device', help='default: cuda if available')
    parser.add_argument('--rank', type=int, help='shard index ($RANK)')
    parser.add_argument(
        '--world-size', type=int, help='number of shards ($WORLD_SIZE)')
    parser.add_argument(
        '--no-eval', action='store_true', help='do not score the CAMs')
    parser.add_argument(
        '--metrics-file',
        help='JSON of the scores (default <out-dir>/../cam_metrics.json)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    return parser.parse_args(argv)


def cam_metric_cfg(cfg) -> dict:
    """The ``CAMMetric`` entry of the config's test evaluator, if any."""
    evaluators = cfg.get('test_evaluator') or []
    if isinstance(evaluators, dict):
        evaluators = [evaluators]
    for item in evaluators:
        if str(item.get('type', '')).split('.')[-1] == 'CAMMetric':
            return dict(item)
    return dict(type='CAMMetric')


def main(argv=None) -> None:
    args = parse_args(argv)
    with exit_on_user_error():
        cfg = load_config(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        out_dir = args.out_dir or osp.join(
            'work_dirs',
            osp.splitext(osp.basename(args.config))[0], 'cams')
        summary = infer_cams(
            cfg,
            args.checkpoint,
            out_dir,
            split=args.split,
            ann_file=args.ann_file,
            rank=args.rank,
            world_size=args.world_size,
            batch_size=args.batch_size,
            num_workers=args.num_workers,
            device=args.device)
        print(f'\nCAMs of shard {summary["rank"]}/{summary["world_size"]}: '
              f'{summary["written"]} written, {summary["skipped"]} already '
              f'done, in {out_dir}')
        if args.no_eval or summary['world_size'] > 1:
            return
        dataset = build_inference_dataset(cfg, args.split, args.ann_file)
        metrics = evaluate_cams(out_dir, dataset, cam_metric_cfg(cfg))
        metrics_file = args.metrics_file or osp.join(
            osp.dirname(osp.abspath(out_dir)), 'cam_metrics.json')
        atomic_write_json(metrics_file, metrics)
        print(f'CAM mIoU {metrics.get("cam/mIoU_best")} at background '
              f'threshold {metrics.get("cam/best_threshold")}; scores in '
              f'{metrics_file}')


if __name__ == '__main__':
    main()
