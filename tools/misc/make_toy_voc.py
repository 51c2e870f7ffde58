"""Generate the toy VOC dataset (see ``mmwsss/datasets/toy_voc.py``).

Example::

    python tools/misc/make_toy_voc.py --out data/toyvoc
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from mmwsss.datasets.toy_generator_cli import run_toy_generator, toy_parser
from mmwsss.datasets.toy_voc import make_toy_voc


def parse_args(argv=None) -> argparse.Namespace:
    return toy_parser(
        'Generate a synthetic dataset in the PASCAL VOC layout.',
        'data/toyvoc',
        (('--no-boundary', ),
         dict(action='store_true',
              help='do not mark label edges with 255'))).parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    run_toy_generator(
        make_toy_voc, 'Toy VOC', args, boundary=not args.no_boundary)


if __name__ == '__main__':
    main()
