"""BANA stage 2: box pseudo labels Y_crf and Y_ret from a stage-1
checkpoint (specs/bana.md §4), scored against the ground truth.

Example::

    python tools/make_box_pseudo_labels.py \
        configs/bana/bana_bap_vgg16_voc.py CHECKPOINT --split train \
        --out-dir work_dirs/bana/pseudo --nproc 2 \
        --cfg-options pipeline.pseudo.generator.bg_threshold=0

Writes ``<out-dir>/<img_id>.png`` (Y_crf) and ``<ret-dir>/<img_id>.png``
(Y_ret; default ``pseudo_ret`` beside ``<out-dir>``); finished ids are
skipped on a re-run. The generator settings come from the config's
``pipeline.pseudo.generator`` (default: the official ones). The scores of
Y_crf, Y_ret, the reliable region and the box-fill baseline go to
``--metrics-file`` (default ``<out-dir>/../box_pseudo_metrics.json``).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import DictAction  # noqa: E402

from mmwsss.apis import atomic_write_json  # noqa: E402
from mmwsss.apis import (build_inference_dataset, evaluate_box_pseudo_labels,
                         make_box_pseudo_labels)
from mmwsss.apis.cam_inference import load_config  # noqa: E402
from mmwsss.utils import exit_on_user_error  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='BANA stage 2: Y_crf and Y_ret from boxes')
    parser.add_argument('config', help='BANA stage-1 config')
    parser.add_argument('checkpoint', help='stage-1 checkpoint')
    parser.add_argument('--out-dir', required=True, help='Y_crf folder')
    parser.add_argument(
        '--ret-dir', help='Y_ret folder (default: pseudo_ret beside '
        '--out-dir, where the stage-3 dataset looks for it)')
    parser.add_argument('--split', default='train', help='dataset split')
    parser.add_argument(
        '--nproc', type=int, default=1, help='worker processes')
    parser.add_argument(
        '--device', default='cpu', help='model device (keep --nproc 1 on '
        'a GPU)')
    parser.add_argument(
        '--no-eval', action='store_true', help='do not score the labels')
    parser.add_argument('--metrics-file', help='JSON of the scores')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    with exit_on_user_error():
        cfg = load_config(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        opts = cfg.get('pipeline', {}).get('pseudo', {})
        generator = dict(opts.get('generator') or {})
        overrides = opts.get('dataset')
        ret_dir = args.ret_dir or osp.join(
            osp.dirname(osp.abspath(args.out_dir)), 'pseudo_ret')
        summary = make_box_pseudo_labels(
            cfg, args.checkpoint, args.out_dir, ret_dir, split=args.split,
            dataset=overrides, generator=generator, nproc=args.nproc,
            device=args.device)
        print(f'\nY_crf in {args.out_dir}, Y_ret in {ret_dir}: '
              f'{summary["written"]} written, {summary["skipped"]} already '
              f'done; s/img {summary["seconds"]}')
        if args.no_eval:
            return summary
        dataset = build_inference_dataset(cfg, args.split, overrides=overrides)
        metrics = evaluate_box_pseudo_labels(
            args.out_dir, ret_dir,
            [dataset.get_data_info(i) for i in range(len(dataset))],
            dataset.metainfo['classes'],
            float32_round_trip=generator.get('float32_round_trip', True))
        metrics_file = args.metrics_file or osp.join(
            osp.dirname(osp.abspath(args.out_dir)), 'box_pseudo_metrics.json')
        atomic_write_json(metrics_file, dict(summary, **metrics))
        scores = ', '.join(f'{key} mIoU {metrics.get(key + "/mIoU")}'
                           for key in ('pseudo', 'pseudo_ret', 'reliable',
                                       'box_fill'))
        print(f'{scores}; scores in {metrics_file}')
        return dict(summary, **metrics)


if __name__ == '__main__':
    main()
