"""Print a config with its ``_base_`` files merged and overrides applied.

``python tools/misc/print_config.py CONFIG [--cfg-options k=v ...]
[--out FILE]``

Useful to check what a config inherits before training; ``--out`` also
writes the merged config (``.py``, ``.json`` or ``.yaml`` by extension).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))

from mmengine.config import Config, DictAction

from mmwsss.utils import MissingInputError, exit_on_user_error


def merged_config(config: str, cfg_options: dict = None) -> Config:
    """``config`` with its bases merged and ``cfg_options`` applied.

    Raises:
        MissingInputError: no such config file.
    """
    if not osp.isfile(config):
        raise MissingInputError(f'Config {config} does not exist.')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Print the fully merged config')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value (e.g. '
        'train_cfg.max_iters=2 "model.cam_cfg.scales=[1.0,0.5]")')
    parser.add_argument(
        '--out', help='also save the merged config (.py, .json, .yaml)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    with exit_on_user_error():
        cfg = merged_config(args.config, args.cfg_options)
    print(f'Config:\n{cfg.pretty_text}')
    if args.out:
        cfg.dump(args.out)
        print(f'saved {args.out}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
