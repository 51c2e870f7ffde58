"""Stages 3–4: refine CAMs into pseudo labels and score them.

Example::

    python tools/make_pseudo_labels.py configs/baseline/gap_r38tiny_toy.py \
        --cams work_dirs/gap_r38tiny_toy/cams --split train \
        --out-dir work_dirs/gap_r38tiny_toy/pseudo --nproc 2 \
        --refiner-json '{"type": "DenseCRFRefiner", "bg_power": 1}'

Writes ``<out-dir>/<img_id>.png`` (uint8 VOC-palette PNGs: 0 background,
k + 1 class k, 255 ignore); finished ids are skipped on a re-run. The
refiner comes from ``--refiner-json`` (a JSON object or a .json file), else
the config's ``refiner`` field, else ``ThresholdRefiner()``. Images with
ground truth are then scored (``PseudoLabelMetric``) and the scores written
to ``--metrics-file`` (default ``<out-dir>/../pseudo_metrics.json``).
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import DictAction  # noqa: E402

from mmwsss.apis import build_inference_dataset  # noqa: E402
from mmwsss.apis import (atomic_write_json, evaluate_pseudo_labels,
                         make_pseudo_labels)
from mmwsss.apis.cam_inference import load_config  # noqa: E402
from mmwsss.utils import InvalidInputError, exit_on_user_error  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Refine CAMs into pseudo labels (stages 3-4)')
    parser.add_argument('config', help='stage-1 config (dataset)')
    parser.add_argument('--cams', required=True, help='CAM folder (stage 2)')
    parser.add_argument('--out-dir', required=True, help='label folder')
    parser.add_argument('--split', help='dataset split, e.g. train')
    parser.add_argument('--ann-file', help='explicit id list')
    parser.add_argument(
        '--refiner-json', help='refiner config: JSON object or .json file')
    parser.add_argument(
        '--nproc', type=int, default=1, help='worker processes')
    parser.add_argument(
        '--no-eval', action='store_true', help='do not score the labels')
    parser.add_argument(
        '--metrics-file',
        help='JSON of the scores (default <out-dir>/../pseudo_metrics.json)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    return parser.parse_args(argv)


def refiner_cfg(text, cfg) -> dict:
    """The refiner config from ``--refiner-json`` or the config."""
    if not text:
        return dict(cfg.get('refiner') or dict(type='ThresholdRefiner'))
    source = text
    if osp.isfile(text):
        with open(text, encoding='utf-8') as f:
            source = f.read()
    try:
        value = json.loads(source)
    except json.JSONDecodeError as e:
        raise InvalidInputError(
            f'--refiner-json {text!r} is neither a JSON object nor a JSON '
            f'file ({e}). Example: \'{{"type": "DenseCRFRefiner", '
            '"bg_power": 2}\'') from e
    if not isinstance(value, dict) or 'type' not in value:
        raise InvalidInputError(
            f'--refiner-json {text!r} must be an object with a "type", e.g. '
            '{"type": "ThresholdRefiner", "bg_threshold": 0.3}')
    return value


def main(argv=None) -> None:
    args = parse_args(argv)
    with exit_on_user_error():
        cfg = load_config(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        refiner = refiner_cfg(args.refiner_json, cfg)
        dataset = build_inference_dataset(cfg, args.split, args.ann_file)
        data_list = [dataset.get_data_info(i) for i in range(len(dataset))]
        summary = make_pseudo_labels(
            data_list, args.cams, args.out_dir, refiner, nproc=args.nproc)
        print(f'\nPseudo labels ({refiner["type"]}): {summary["written"]} '
              f'written, {summary["skipped"]} already done, in '
              f'{args.out_dir}')
        if args.no_eval:
            return
        metrics = evaluate_pseudo_labels(args.out_dir, data_list,
                                         dataset.metainfo['classes'])
        metrics_file = args.metrics_file or osp.join(
            osp.dirname(osp.abspath(args.out_dir)), 'pseudo_metrics.json')
        atomic_write_json(metrics_file, dict(refiner=refiner, **metrics))
        print(f'pseudo-label mIoU {metrics.get("pseudo/mIoU")}, F '
              f'{metrics.get("pseudo/F")}, ignored '
              f'{metrics.get("pseudo/ignore_ratio")} %; scores in '
              f'{metrics_file}')


if __name__ == '__main__':
    main()
