"""Generate the toy COCO dataset (see ``mmwsss/datasets/toy_coco.py``).

Example::

    python tools/misc/make_toy_coco.py --out data/toycoco
    python tools/dataset_converters/coco.py data/toycoco
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from mmwsss.datasets.toy_coco import make_toy_coco
from mmwsss.utils import exit_on_user_error


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate a synthetic dataset in the COCO 2014 layout.')
    parser.add_argument('--out', default='data/toycoco', help='output folder')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-train', type=int, default=2000)
    parser.add_argument('--num-val', type=int, default=300)
    parser.add_argument('--size', type=int, default=96, help='image side')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='regenerate into a folder holding other data')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    start = time.time()
    with exit_on_user_error():
        make_toy_coco(
            args.out,
            seed=args.seed,
            num_train=args.num_train,
            num_val=args.num_val,
            size=args.size,
            overwrite=args.overwrite,
            progress=True)
    print(f'\nToy COCO ready in {args.out} ({time.time() - start:.1f} s). '
          f'Next: python tools/dataset_converters/coco.py {args.out}')


if __name__ == '__main__':
    main()
