"""Time one training step of a stage-1 config (seconds per step and per
image, peak RSS), e.g. the AEFT phase against the plain classification
phase of the same model.

Example::

    python tools/analysis/benchmark_train_step.py \
        configs/aeft/aeft_gpp_r38tiny_toy.py --batch 32 --size 96

The model is built from the config without pretrained weights and trained
with the config's optimiser on random images with random multi-hot labels
(1-3 classes each), so the figure is the model's compute, not data
loading. ``--phases`` takes ``cls`` (AEFT off: classification only) and
``aeft`` (erasing, second forward and the triplet terms); models without an
AEFT phase run ``cls`` only. Threads follow ``--threads`` (default 1).
"""
import argparse
import os.path as osp
import resource
import sys
import time

import torch

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample

from mmwsss.engine import without_pretrained
from mmwsss.registry import MODELS
from mmwsss.utils import register_all_modules


def random_batch(batch: int, size: int, num_classes: int,
                 generator: torch.Generator) -> dict:
    """Raw uint8 images and data samples with 1-3 random labels each."""
    images = torch.randint(
        0, 256, (batch, 3, size, size), generator=generator,
        dtype=torch.uint8)
    samples = []
    for _ in range(batch):
        count = int(torch.randint(1, 4, (1, ), generator=generator))
        labels = torch.randperm(num_classes, generator=generator)[:count]
        samples.append(DataSample().set_gt_label(labels.sort().values))
    return dict(inputs=list(images), data_samples=samples)


def time_steps(model, optim_wrapper, batch: dict, steps: int,
               warmup: int) -> float:
    """Mean wall seconds of ``model.train_step`` after ``warmup`` steps."""
    for _ in range(warmup):
        model.train_step(batch, optim_wrapper)
    start = time.perf_counter()
    for _ in range(steps):
        model.train_step(batch, optim_wrapper)
    return (time.perf_counter() - start) / steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--size', type=int, default=96, help='square crop')
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument(
        '--phases', nargs='+', choices=('cls', 'aeft'),
        default=['cls', 'aeft'])
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    MMLogger.get_instance('benchmark_train_step', log_level='WARNING')
    register_all_modules()
    cfg = Config.fromfile(args.config)
    torch.manual_seed(0)
    model = MODELS.build(without_pretrained(cfg.model.to_dict()))
    model.init_weights()
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    num_classes = model.num_classes
    batch = random_batch(args.batch, args.size, num_classes,
                         torch.Generator().manual_seed(0))
    print(f'{osp.basename(args.config)}: batch {args.batch}, '
          f'{args.size}x{args.size}, {args.threads} thread(s), '
          f'{args.steps} timed steps')
    print('| phase | s/step | ms/image | peak RSS (MiB) |')
    print('|---|---|---|---|')
    for phase in args.phases:
        if phase == 'aeft' and not hasattr(model, 'aeft_enabled'):
            continue
        if hasattr(model, 'aeft_enabled'):
            model.aeft_enabled = phase == 'aeft'
        seconds = time_steps(model, optim_wrapper, batch, args.steps,
                             args.warmup)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f'| {phase} | {seconds:.3f} | '
              f'{1000 * seconds / args.batch:.1f} | {peak:.0f} |')


if __name__ == '__main__':
    main()
