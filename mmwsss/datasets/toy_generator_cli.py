"""The command line shared by the toy-dataset generators
(``tools/misc/make_toy_voc.py``, ``tools/misc/make_toy_coco.py``)."""
import argparse
import time
from typing import Callable, Tuple

from mmwsss.utils import exit_on_user_error


def toy_parser(description: str, default_out: str,
               *options: Tuple[tuple, dict]) -> argparse.ArgumentParser:
    """``--out``, ``--seed``, ``--num-train``, ``--num-val``, ``--size``,
    the generator's own ``options`` (``(flags, kwargs)`` pairs for
    ``add_argument``) and ``--overwrite``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--out', default=default_out, help='output folder')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-train', type=int, default=2000)
    parser.add_argument('--num-val', type=int, default=300)
    parser.add_argument('--size', type=int, default=96, help='image side')
    for flags, kwargs in options:
        parser.add_argument(*flags, **kwargs)
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='regenerate into a folder holding other data')
    return parser


def run_toy_generator(make: Callable[..., str],
                      title: str,
                      args: argparse.Namespace,
                      next_step: str = '',
                      **options) -> None:
    """Run ``make(args.out, seed=..., num_train=..., num_val=..., size=...,
    overwrite=..., progress=True, **options)`` from the parsed
    :func:`toy_parser` arguments; a user error exits with status 2 (its
    message, no traceback). Then print ``<title> ready in <out> (<s> s)``
    and, when given, ``. Next: <next_step>``."""
    start = time.time()
    with exit_on_user_error():
        make(
            args.out,
            seed=args.seed,
            num_train=args.num_train,
            num_val=args.num_val,
            size=args.size,
            overwrite=args.overwrite,
            progress=True,
            **options)
    next_text = f'. Next: {next_step}' if next_step else ''
    print(f'\n{title} ready in {args.out} ({time.time() - start:.1f} s)'
          f'{next_text}')
