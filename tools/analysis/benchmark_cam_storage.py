"""CAM inference at a chosen image size: seconds per image, peak RSS and
the bytes of the CAM files at each stride.

Example (the VOC CAM model, images of VOC's typical 500x375 size)::

    python tools/analysis/benchmark_cam_storage.py \
        configs/baseline/gap_r38_voc.py --size 375 500 --images 2

The images are those of ``--images-from`` (a config whose
``test_dataloader`` names a dataset on disk; default the toy set), resized
bilinearly to ``--size``, with their own labels (CAMs are made for the
ground-truth classes). Without ``--checkpoint`` the model has random
weights (no pretrained files): its time and memory are those of a trained
one, its CAM files are not (trained CAMs are smoother, hence smaller).
Prints figures; it is not a test.
"""
import argparse
import os.path as osp
import resource
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmwsss.engine import without_pretrained
from mmwsss.fileio import save_cams
from mmwsss.registry import MODELS
from mmwsss.stages import build_inference_dataset
from mmwsss.utils import register_all_modules
from mmwsss.utils.model_loading import load_model

TOY_CFG = osp.join(
    osp.dirname(__file__), '..', '..', 'configs', 'baseline',
    'gap_r38tiny_toy.py')


def build(cfg: Config, checkpoint):
    if checkpoint:
        return load_model(cfg, checkpoint, 'cpu')
    torch.manual_seed(0)
    model = MODELS.build(without_pretrained(cfg.model))
    model.init_weights()
    return model.eval()


def resized(sample: dict, size) -> dict:
    """A test sample with its image resized to ``size`` (H, W)."""
    image = F.interpolate(
        sample['inputs'][None].float(), size=size, mode='bilinear',
        align_corners=False)[0].round().clamp(0, 255).byte()
    data_sample = sample['data_samples']
    data_sample.set_metainfo(dict(img_shape=size, ori_shape=size))
    return dict(inputs=image, data_samples=data_sample)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='CAM model config')
    parser.add_argument('--checkpoint', help='trained weights (optional)')
    parser.add_argument('--images-from', default=TOY_CFG)
    parser.add_argument('--split', default='train')
    parser.add_argument('--images', type=int, default=2)
    parser.add_argument('--size', type=int, nargs=2, metavar=('H', 'W'))
    parser.add_argument('--strides', type=int, nargs='+', default=[1, 4])
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    model = build(cfg, args.checkpoint)
    dataset = build_inference_dataset(Config.fromfile(args.images_from),
                                      args.split)
    seconds, classes = [], []
    sizes = {s: [] for s in args.strides}
    with tempfile.TemporaryDirectory() as tmp, torch.no_grad():
        for index in range(min(args.images, len(dataset))):
            sample = dataset[index]
            if args.size:
                sample = resized(sample, tuple(args.size))
            start = time.perf_counter()
            (out, ) = model.test_step(pseudo_collate([sample]))
            seconds.append(time.perf_counter() - start)
            cams = out.cams.float().numpy()
            keys = out.cam_labels.numpy()
            classes.append(len(keys))
            for stride in args.strides:
                path = osp.join(tmp, f'{index}_{stride}.npz')
                save_cams(path, cams, keys, stride=stride)
                sizes[stride].append(osp.getsize(path))
    height, width = cams.shape[1:]
    print(f'\n{args.config}: {len(seconds)} images of {width}x{height}, '
          f'{np.mean(classes):.2f} classes each, {args.threads} thread(s), '
          f'cam_cfg {cfg.model.get("cam_cfg")}')
    print(f'seconds per image: {np.mean(seconds):.3f} (first '
          f'{seconds[0]:.3f}); peak RSS '
          f'{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}'
          ' MiB')
    print('| stride | bytes per image | bytes per class map |')
    print('|---|---|---|')
    for stride, values in sizes.items():
        print(f'| {stride} | {np.mean(values):,.0f} | '
              f'{np.sum(values) / max(np.sum(classes), 1):,.0f} |')


if __name__ == '__main__':
    main()
