"""FLOPs and parameters of a config's model.

``python tools/analysis/get_flops.py CONFIG [--shape H W] [--show-table]
[--cfg-options k=v ...]``

Counts one forward pass of a (3, H, W) image with mmengine's
``get_model_complexity_info``: the CAM classifier's image logits (one
scale; stage 2 runs it once per CAM scale, twice with flip) or, for an
mmseg config, the segmentor's logits (``mode='tensor'``). Default shape:
the config's ``crop_size``, else 512 x 512. mmengine counts a multiply-add
as one FLOP; no weights are loaded.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import DictAction

from mmwsss.registry import MODELS
from mmwsss.stages.cam_inference import load_config
from mmwsss.utils import InvalidInputError, exit_on_user_error


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Model FLOPs and params')
    parser.add_argument('config', help='config file')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help='input height and width')
    parser.add_argument('--show-table', action='store_true',
                        help='print the per-module table')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    return parser.parse_args(argv)


def default_shape(cfg) -> tuple:
    """(H, W): the config's ``crop_size`` (int or pair), else 512 x 512."""
    crop = cfg.get('crop_size')
    if isinstance(crop, int):
        return crop, crop
    if isinstance(crop, (tuple, list)) and len(crop) == 2:
        return int(crop[0]), int(crop[1])
    return 512, 512


def complexity(cfg, shape=None, show_table: bool = False) -> dict:
    """mmengine's complexity report of ``cfg.model`` on a (1, 3, H, W)
    input: ``flops``, ``params`` (ints), their ``*_str`` forms, ``shape``
    and, with ``show_table``, ``out_table``."""
    shape = tuple(shape or default_shape(cfg))
    if len(shape) != 2 or min(shape) < 1:
        raise InvalidInputError(f'--shape needs H W > 0, got {shape}')
    model = MODELS.build(cfg.model).eval()
    inputs = torch.zeros(1, 3, *shape)
    with torch.no_grad():
        info = get_model_complexity_info(
            model, inputs=inputs, show_table=show_table, show_arch=False)
    info['shape'] = (3, ) + shape
    info['model'] = type(model).__name__
    return info


def main(argv=None):
    args = parse_args(argv)
    with exit_on_user_error():
        cfg = load_config(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        info = complexity(cfg, args.shape, args.show_table)
        if args.show_table:
            print(info['out_table'])
        line = '=' * 30
        print(f'{line}\nModel: {info["model"]}\nInput shape: '
              f'{info["shape"]}\nFlops: {info["flops_str"]}\nParams: '
              f'{info["params_str"]}\n{line}')


if __name__ == '__main__':
    main()
