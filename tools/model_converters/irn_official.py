#!/usr/bin/env python
"""Convert a released official IRN checkpoint to mmwsss ``IRNet`` keys.

Input: ``res50_irn.pth`` as written by IRN's ``step/train_irn.py``
(https://github.com/jiwoon-ahn/irn; RIB ships the same format), the state
dict of ``AffinityDisplacementLoss``; a ``module.`` prefix (DataParallel)
and a ``{'state_dict': ...}`` wrapper are accepted. The official state dict
holds every module several times (``resnet50.*``, ``stage1..5.*``,
``backbone.*``; ``fc_edge*`` and ``edge_layers.*``; ``fc_dp*`` and
``dp_layers.*``) plus the loss buffers ``path_indices*`` and
``disp_target``. Output: ``torch.save({'state_dict': ..., 'meta': {...}})``
with tensors and plain values only, for ``load_from`` / the
``IRNRandomWalkRefiner`` checkpoint of ``configs/affinity/irn_r50_*_voc.py``.

Usage::

    python tools/model_converters/irn_official.py \
        pretrained/res50_irn.pth pretrained/irn_r50_voc_official.pth

Key mapping (official -> mmwsss): ``resnet50.<k>`` -> ``backbone.<k>``
(torchvision names, ``fc.*`` dropped); ``fc_edge<i>.<k>`` ->
``head.fc_edge<i>.<k>``; ``fc_dp<i>.<k>`` -> ``head.fc_dp<i>.<k>``;
``mean_shift.running_mean`` -> ``head.mean_shift.running_mean``. Dropped
(duplicates or loss buffers): ``stage*``, ``backbone.*``, ``edge_layers.*``,
``dp_layers.*``, ``path_indices*``, ``disp_target``. Any other key is an
error. Before it is written, the result is checked key by key and shape by
shape against an ``IRNet`` of the widths the file implies (it then loads
strictly); the file is read with ``weights_only=True``.
"""
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Dict, Iterator, Mapping

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

import torch

from mmwsss.fileio.converted_checkpoint import (
    converter_parser,
    fit_to_shapes,
    load_state_dict,
    reject_unknown_keys,
    run_converter,
    save_converted,
    state_dict_of,
)
from mmwsss.fileio.weight_hints import WEIGHTS
from mmwsss.utils import InvalidInputError

_DROP_RE = re.compile(
    r'^(stage\d+\.|backbone\.|edge_layers\.|dp_layers\.|path_indices\d*$|'
    r'disp_target$|resnet50\.fc\.)')
_FIX = ('Expected an official IRN checkpoint (res50_irn.pth from '
        'jiwoon-ahn/irn step/train_irn.py: resnet50.*, fc_edge1..6, '
        'fc_dp1..7, mean_shift.running_mean); checkpoints: ' +
        WEIGHTS['irn']['download'] + '.')


def official_key_to_mmwsss(key: str):
    """The mmwsss key of an official key; '' to drop it; None if unknown."""
    if _DROP_RE.match(key):
        return ''
    if key.startswith('resnet50.'):
        return 'backbone.' + key[len('resnet50.'):]
    if re.match(r'^fc_(edge[1-6]|dp[1-7])\.', key) or \
            key == 'mean_shift.running_mean':
        return 'head.' + key
    return None


def convert_state(state: Mapping[str, torch.Tensor]
                  ) -> Dict[str, torch.Tensor]:
    """Rename and filter; raise :class:`InvalidInputError` on unknown keys
    or a state that does not load into the implied ``IRNet``."""
    state = state_dict_of(state, _FIX)
    reject_unknown_keys(state, official_key_to_mmwsss, 'official IRN', _FIX)
    out = OrderedDict((official_key_to_mmwsss(k), v)
                      for k, v in state.items() if official_key_to_mmwsss(k))
    return fit_to_irnet(out)


def fit_to_irnet(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """``state`` checked against an ``IRNet`` with the file's widths, in
    its order (zero ``num_batches_tracked`` counters are added when absent;
    ``head.fc_dp7.4.running_mean`` is the mean-shift buffer)."""
    from mmwsss.registry import MODELS
    from mmwsss.utils import register_all_modules
    register_all_modules()
    try:
        base = state['backbone.conv1.weight'].shape[0]
        head = dict(
            type='IRNHead',
            in_channels=(base, 4 * base, 8 * base, 16 * base, 32 * base),
            edge_channels=state['head.fc_edge1.0.weight'].shape[0],
            dp_channels=tuple(state[f'head.fc_dp{i}.0.weight'].shape[0]
                              for i in (1, 2, 3)))
    except KeyError as e:
        raise InvalidInputError(f'missing tensor {e}. ' + _FIX) from e
    with torch.device('meta'):
        model = MODELS.build(dict(
            type='IRNet',
            backbone=dict(type='ResNet50Stages', base_channels=base),
            head=head,
            loss=dict(type='AffinityDisplacementLoss', crop_size=None)))
    mean = state.get('head.mean_shift.running_mean')
    if mean is not None:
        state.setdefault('head.fc_dp7.4.running_mean', mean)
    expected = OrderedDict(
        (k, v.shape) for k, v in model.state_dict().items())
    return fit_to_shapes(state, expected, f'IRNet(base_channels={base})',
                         _FIX)[0]


def convert(src: str, dst: str) -> dict:
    """Convert the file ``src`` and save ``dst``.

    Returns:
        dict: the ``meta`` saved with the weights.
    """
    state = convert_state(load_state_dict(src, _FIX))
    return save_converted(dst, state, src,
                          'tools/model_converters/irn_official.py')


def summary(meta: dict) -> Iterator[str]:
    """The line printed after a conversion."""
    yield f'converted {meta["num_tensors"]} tensors'


def parse_args(argv=None):
    return converter_parser(__doc__.split('\n')[0],
                            'official res50_irn.pth',
                            'output checkpoint').parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_converter(lambda: convert(args.src, args.dst), args.dst,
                         summary)


if __name__ == '__main__':
    sys.exit(main())
