"""Time ACR's training step on the CPU, split into the reconstructor update
(RU) and the classifier update (CU), with the peak resident memory.

ACR: Kweon, Yoon, Yoon, "Weakly Supervised Semantic Segmentation via
Adversarial Learning of Classifier and Reconstructor", CVPR 2023
(github.com/sangrockEG/ACR). Each phase is timed with its forward,
backward and optimiser step, on random images with 1-3 random labels each
and random weights (no pretrained files are read).

Example::

    python tools/analysis/benchmark_acr_step.py --scales toy paper --steps 2

Scales: ``toy`` = configs/acr/acr_r38tiny_pretrained_toy.py (1/16-width
ResNet-38d x 2, 5-level decoder) at batch 32 on 96 x 96 images; ``paper`` =
configs/acr/acr_r38_voc.py (full ResNet-38d x 2, the 8-level Table A1
decoder) at batch 8 on 256 x 256 crops. ``--batch`` / ``--size`` override
both. The peak RSS is the process's (``ru_maxrss``), read after each phase,
so it never decreases across rows.
"""
import argparse
import os.path as osp
import resource
import sys
import time

import torch

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from benchmark_train_step import random_batch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402

from mmwsss.engine import without_pretrained  # noqa: E402
from mmwsss.models.losses.acr_terms import (  # noqa: E402
    sample_srf_cells,
    sample_target_classes,
)
from mmwsss.registry import MODELS  # noqa: E402
from mmwsss.utils import register_all_modules  # noqa: E402

SCALES = dict(
    toy=('configs/acr/acr_r38tiny_pretrained_toy.py', 32, 96),
    paper=('configs/acr/acr_r38_voc.py', 8, 256))


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (Linux: KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(config: str):
    """The config's ACRClassifier (random weights) and its optimisers."""
    cfg = Config.fromfile(osp.join(ROOT, config))
    torch.manual_seed(0)
    model = MODELS.build(without_pretrained(cfg.model.to_dict()))
    model.init_weights()
    model.train()
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


def time_phases(model, optim_wrapper, batch: dict, steps: int,
                warmup: int) -> dict:
    """Mean seconds of RU and CU over ``steps`` after ``warmup`` steps, and
    the peak RSS after each phase."""
    data = model.data_preprocessor(batch, True)
    img, labels = data['inputs'], model.targets(data['data_samples'])
    totals = dict(ru=0.0, cu=0.0)
    peaks = {}
    for step in range(warmup + steps):
        target = sample_target_classes(labels)
        hidden = sample_srf_cells(img.shape[0], model.srf_grid_size(),
                                  model.srf_keep(), img.device)
        start = time.perf_counter()
        model.reconstructor_update(img, labels, target, hidden,
                                   optim_wrapper['reconstructor'])
        middle = time.perf_counter()
        peaks['ru'] = peak_rss_mib()
        model.classifier_update(img, labels, target,
                                optim_wrapper['classifier'])
        end = time.perf_counter()
        peaks['cu'] = peak_rss_mib()
        if step >= warmup:
            totals['ru'] += middle - start
            totals['cu'] += end - middle
    return dict(
        ru=totals['ru'] / steps, cu=totals['cu'] / steps, **{
            f'peak_{k}': v
            for k, v in peaks.items()
        })


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--scales', nargs='+', choices=sorted(SCALES), default=['toy'])
    parser.add_argument('--batch', type=int, help='override the batch')
    parser.add_argument('--size', type=int, help='override the crop side')
    parser.add_argument('--steps', type=int, default=2)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args(argv)
    if args.steps < 1 or args.warmup < 0:
        parser.error('--steps must be >= 1 and --warmup >= 0')
    torch.set_num_threads(args.threads)
    MMLogger.get_instance('benchmark_acr_step', log_level='WARNING')
    register_all_modules()
    print(f'{args.threads} thread(s), {args.steps} timed step(s) after '
          f'{args.warmup} warm-up step(s)')
    print('| scale | params (M) | batch | crop | RU s/step | CU s/step | '
          'iteration s | peak RSS after RU / CU (MiB) |')
    print('|---|---|---|---|---|---|---|---|')
    for scale in args.scales:
        config, batch_size, size = SCALES[scale]
        batch_size, size = args.batch or batch_size, args.size or size
        model, optim_wrapper = build(config)
        params = sum(p.numel() for p in model.parameters()) / 1e6
        batch = random_batch(batch_size, size, model.num_classes,
                             torch.Generator().manual_seed(0))
        res = time_phases(model, optim_wrapper, batch, args.steps,
                          args.warmup)
        print(f'| {scale} | {params:.1f} | {batch_size} | {size} | '
              f'{res["ru"]:.3f} | {res["cu"]:.3f} | '
              f'{res["ru"] + res["cu"]:.3f} | {res["peak_ru"]:.0f} / '
              f'{res["peak_cu"]:.0f} |')
        del model, optim_wrapper


if __name__ == '__main__':
    main()
