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
error. The result is loaded strictly into an ``IRNet`` of the widths the
file implies before it is written.
"""
import argparse
import os
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Dict, Mapping

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

import torch

from mmwsss.fileio.weight_hints import WEIGHTS
from mmwsss.utils import InvalidInputError, MissingInputError, WSSSInputError

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
    out, unknown = OrderedDict(), []
    for key, value in state.items():
        key = key[7:] if key.startswith('module.') else key
        new = official_key_to_mmwsss(key)
        if new is None:
            unknown.append(key)
        elif new:
            out[new] = value
    if unknown:
        raise InvalidInputError(
            f'{len(unknown)} keys match no rule: {unknown[:10]}. ' + _FIX)
    check_loads(out)
    return out


def check_loads(state: Dict[str, torch.Tensor]) -> None:
    """Load ``state`` strictly into an ``IRNet`` with the file's widths
    (zero ``num_batches_tracked`` counters are added when absent)."""
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
    for key in model.state_dict():
        if key.endswith('num_batches_tracked') and key not in state:
            state[key] = torch.tensor(0, dtype=torch.long)
    state['head.fc_dp7.4.running_mean'] = state.get(
        'head.fc_dp7.4.running_mean',
        state.get('head.mean_shift.running_mean'))
    own = model.state_dict()
    missing = [k for k in own if state.get(k) is None]
    extra = [k for k in state if k not in own]
    wrong = [k for k in own if k not in missing and
             tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or extra or wrong:
        raise InvalidInputError(
            f'the converted state does not fit IRNet(base_channels={base}): '
            f'missing {missing[:5]}, unexpected {extra[:5]}, wrong shapes '
            f'{wrong[:5]}. ' + _FIX)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official res50_irn.pth')
    parser.add_argument('dst', help='output checkpoint')
    args = parser.parse_args(argv)
    try:
        if not osp.isfile(args.src):
            raise MissingInputError(f'{args.src} does not exist. ' + _FIX)
        ckpt = torch.load(args.src, map_location='cpu', weights_only=False)
        state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) \
            else None
        if not isinstance(state, dict):
            raise InvalidInputError(f'{args.src} holds no state dict. ' +
                                    _FIX)
        out = convert_state(state)
    except WSSSInputError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(dict(state_dict=out,
                    meta=dict(source=osp.basename(args.src),
                              converter='irn_official')), args.dst)
    print(f'wrote {len(out)} tensors to {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
