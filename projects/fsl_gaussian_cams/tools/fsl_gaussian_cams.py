"""FSL on Gaussian CAMs: how far the loss alone moves a crude CAM onto the
object, and how that depends on μ and σ (the S.1 study of the supplement of
"High-fidelity Pseudo-labels for Boosting Weakly-Supervised Segmentation",
Jonnarth, Zhang, Felsberg, WACV 2024, arXiv:2304.02621).

Example (VOC 2012 train, one single-object image per class, the default
settings: 1/10 resolution, Adam lr 0.05, 400 steps)::

    python projects/fsl_gaussian_cams/tools/fsl_gaussian_cams.py \
        data/VOCdevkit/VOC2012 --out-dir work_dirs/fsl_gaussian_cams/voc \
        --device cuda

    # the toy set, a small grid
    python projects/fsl_gaussian_cams/tools/fsl_gaussian_cams.py \
        data/toyvoc --scale 0.5 --steps 200 --mus 0.5 1.5 2.5 3.5 5 \
        --sigmas 1 5 10

    # no data: the synthetic "mallet" scene
    python projects/fsl_gaussian_cams/tools/fsl_gaussian_cams.py \
        --synthetic mallet

For every sample a Gaussian is fitted to the object mask (mean and per-axis
variance of its pixel coordinates, peak 1), the logits ``s = 2G - 1`` are
optimised to minimise the exact FSL of ``sigmoid(s)`` with the image as
guidance, and ``s > 0`` is scored before and after: J (IoU, void ignored),
F (contour F, tolerance ⌈0.008·diagonal⌉ px), J&F, averaged over the
samples. μ is swept at ``--base-sigma`` and σ at ``--base-mu``. The table
is printed (markdown) and written with a CSV, a JSON (per-sample scores)
and a PNG plot to ``--out-dir``.
"""
import argparse
import os.path as osp
import sys

# the repository root (mmwsss and the projects namespace), wherever the tool
# is called from
sys.path.insert(
    0,
    osp.dirname(
        osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))))

import torch  # noqa: E402
from mmengine.logging import print_log  # noqa: E402

from mmwsss.utils import InvalidInputError, exit_on_user_error  # noqa: E402
from projects.fsl_gaussian_cams import gaussian_cams as gc  # noqa: E402


def _sigma(text: str):
    """A σ value: a positive float, or ``none`` (constant weight 1/(h·w))."""
    if text.lower() == 'none':
        return None
    return float(text)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='FSL on Gaussian CAMs: J, F, J&F before/after and a '
        'mu/sigma sweep (ISL/FSL supplement S.1)')
    parser.add_argument(
        'data_root', nargs='?', help='VOC-layout folder (JPEGImages, '
        'SegmentationClass, ImageSets/Segmentation/<split>.txt)')
    parser.add_argument(
        '--synthetic',
        choices=('mallet', 'disc'),
        help='use a synthetic scene instead of data_root')
    parser.add_argument(
        '--split', default='train', help=f'id list, or "{gc.SPLIT_ALL}" '
        'for every mask (default: train)')
    parser.add_argument(
        '--per-object',
        action='store_true',
        help='sample objects of any image (instance masks, else class '
        'regions) instead of single-object images')
    parser.add_argument(
        '--num-per-class',
        type=int,
        default=1,
        help='samples per class, drawn at random; < 1: all (default: 1)')
    parser.add_argument('--seed', type=int, default=0, help='selection seed')
    parser.add_argument(
        '--scale',
        type=float,
        default=gc.DEFAULT_SCALE,
        help='working resolution factor (default: 0.1, ~50x38 for VOC)')
    parser.add_argument(
        '--min-pixels',
        type=int,
        default=4,
        help='least object pixels at the working resolution (default: 4)')
    parser.add_argument('--steps', type=int, default=gc.DEFAULT_STEPS)
    parser.add_argument('--lr', type=float, default=gc.DEFAULT_LR)
    parser.add_argument(
        '--mus',
        type=float,
        nargs='*',
        default=list(gc.DEFAULT_MUS),
        help='mu grid (at --base-sigma)')
    parser.add_argument(
        '--sigmas',
        type=_sigma,
        nargs='*',
        default=list(gc.DEFAULT_SIGMAS),
        help='sigma grid in pixels (at --base-mu); "none" = constant weight')
    parser.add_argument('--base-mu', type=float, default=gc.DEFAULT_MU)
    parser.add_argument(
        '--base-sigma', type=_sigma, default=gc.DEFAULT_SIGMA)
    parser.add_argument(
        '--bound-th',
        type=float,
        default=gc.BOUND_TH,
        help='contour tolerance: fraction of the diagonal, or pixels if '
        '>= 1 (default: 0.008)')
    parser.add_argument('--device', default='cpu', help='torch device')
    parser.add_argument(
        '--out-dir',
        default=osp.join('work_dirs', 'fsl_gaussian_cams'),
        help='folder for sweep.{md,csv,json,png}')
    parser.add_argument(
        '--no-progress', action='store_true', help='no progress bars')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    with exit_on_user_error():
        if (args.data_root is None) == (args.synthetic is None):
            raise InvalidInputError('give a data folder or --synthetic KIND '
                                    '(exactly one of them).')
        if args.device.startswith('cuda') and not torch.cuda.is_available():
            raise InvalidInputError(f'--device {args.device}: CUDA is not '
                                    'available; use --device cpu.')
        if args.synthetic:
            samples = [gc.synthetic_sample(args.synthetic, args.seed)]
        else:
            samples = gc.prepare_samples(
                args.data_root,
                split=args.split,
                per_object=args.per_object,
                num_per_class=args.num_per_class,
                seed=args.seed,
                scale=args.scale,
                min_pixels=args.min_pixels,
                progress=not args.no_progress)
        print_log(
            f'{len(samples)} sample(s): ' + ', '.join(
                f'{s.sample_id} ({s.class_name}, {s.gt.shape[1]}x'
                f'{s.gt.shape[0]})' for s in samples),
            logger='current')
        result = gc.run_sweep(
            samples,
            mus=args.mus,
            sigmas=args.sigmas,
            base_mu=args.base_mu,
            base_sigma=args.base_sigma,
            steps=args.steps,
            lr=args.lr,
            device=args.device,
            bound_th=args.bound_th,
            progress=not args.no_progress)
        settings = {
            k: v
            for k, v in vars(args).items() if k not in ('no_progress', )
        }
        paths = gc.write_reports(result, samples, args.out_dir, settings)
    print(gc.markdown_table(result), end='')
    print_log(
        'Wrote ' + ', '.join(paths.values()) + '. Optimiser: Adam, lr '
        f'{args.lr:g}, {args.steps} steps; Y = sigmoid(s); exact FSL.',
        logger='current')
    return result


if __name__ == '__main__':
    main()
