"""Generate the toy COCO dataset (see ``mmwsss/datasets/toy_coco.py``).

Example::

    python tools/misc/make_toy_coco.py --out data/toycoco
    python tools/dataset_converters/coco.py data/toycoco
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from mmwsss.datasets.toy_coco import make_toy_coco
from mmwsss.datasets.toy_generator_cli import run_toy_generator, toy_parser


def parse_args(argv=None) -> argparse.Namespace:
    return toy_parser(
        'Generate a synthetic dataset in the COCO 2014 layout.',
        'data/toycoco').parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    run_toy_generator(
        make_toy_coco, 'Toy COCO', args,
        f'python tools/dataset_converters/coco.py {args.out}')


if __name__ == '__main__':
    main()
