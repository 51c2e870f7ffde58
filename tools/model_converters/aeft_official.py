#!/usr/bin/env python
"""Convert the released official AEFT classifier to mmwsss keys.

Input: the VOC classifier released with the official AEFT code (seed mIoU
56.2 % in its README), a plain torch state dict of their ``Net_gpp``;
a ``module.`` prefix (DataParallel) and a ``{'state_dict': ...}`` wrapper
are accepted. Output: ``torch.save({
'state_dict': ..., 'meta': {...}})`` with tensors and plain values only
(loads with ``weights_only=True``), for the ``AEFTClassifier`` of
``configs/aeft/aeft_gpp_r38_voc.py`` (``load_from`` or ``tools/test.py``).

Usage::

    python tools/model_converters/aeft_official.py \
        pretrained/aeft_official.pth pretrained/aeft_gpp_r38_voc_official.pth

Key mapping (official -> mmwsss):

* ResNet-38d trunk (``conv1a.weight``, ``b2.bn_branch2a.weight``, ...,
  ``bn7.*``) -> ``backbone.<same key>`` (``ResNet38d`` keeps the official
  module names);
* ``fc8.weight`` (1x1 conv 4096 -> D) -> ``head.hidden.weight``;
* ``fc9.weight`` (1x1 conv D -> K) -> ``head.classifier.weight``;
* ``gconv{i}.att_p.0.weight`` / ``gconv{i}.att_n.0.weight`` (3x3 convs
  2K -> 2 of the i-th gated merge, i = 1, 2, 3) ->
  ``head.gates.{i-1}.pos_gate.weight`` / ``head.gates.{i-1}.neg_gate.weight``;
* ``bn8.*``: a BatchNorm the official model builds but never calls;
  dropped, with a note.

Any other key is an error that lists it. Shapes are checked against a
``ResNet38d`` of the same width and against each other (fc8 input = trunk
channels, fc9 input = fc8 output, gate input = 2 x fc9 output).
"""
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Dict, Iterator, Mapping, Tuple

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

_TRUNK_RE = re.compile(r'^(conv1a|bn7|b\d+(_\d+)?)\.')
_GATE_RE = re.compile(r'^gconv([1-3])\.att_(p|n)\.0\.weight$')
_UNUSED_RE = re.compile(r'^bn8\.')
_HEAD_KEYS = {
    'fc8.weight': 'head.hidden.weight',
    'fc9.weight': 'head.classifier.weight',
}
_NUM_GATES = 3
_FIX = ('Expected the official AEFT classifier (a state dict of Net_gpp '
        'from KAIST-vilab/AEFT: ResNet-38d trunk, fc8, bn8, fc9, '
        'gconv1..3.att_p.0/att_n.0), downloaded from ' +
        WEIGHTS['aeft']['download'] + '.')


def official_key_to_mmwsss(key: str):
    """Map one official key (no ``module.`` prefix).

    Returns:
        str | None: the mmwsss key, ``''`` for an unused official module
        (``bn8``), or None for a key that matches no rule.
    """
    if _TRUNK_RE.match(key):
        return 'backbone.' + key
    if key in _HEAD_KEYS:
        return _HEAD_KEYS[key]
    m = _GATE_RE.match(key)
    if m:
        gate = 'pos_gate' if m.group(2) == 'p' else 'neg_gate'
        return f'head.gates.{int(m.group(1)) - 1}.{gate}.weight'
    if _UNUSED_RE.match(key):
        return ''
    return None


def _expected_trunk(state: Mapping[str, torch.Tensor]
                    ) -> Dict[str, torch.Size]:
    """State-dict shapes of a ``ResNet38d`` with the width and input
    channels of ``state`` (trunk keys, unprefixed; built on the meta
    device, so no memory)."""
    from mmwsss.models.backbones.resnet38d import ResNet38d
    if 'bn7.running_mean' not in state or 'conv1a.weight' not in state:
        raise InvalidInputError(
            'the ResNet-38d trunk is incomplete: conv1a.weight and bn7.* '
            'are needed. ' + _FIX)
    width = state['bn7.running_mean'].shape[0] / 4096
    with torch.device('meta'):
        model = ResNet38d(
            in_channels=state['conv1a.weight'].shape[1], width_mult=width)
    return OrderedDict((k, v.shape) for k, v in model.state_dict().items())


def _check_head(state: Mapping[str, torch.Tensor], trunk_channels: int):
    """Check fc8/fc9/gate presence and shape consistency.

    Returns:
        tuple[int, int]: hidden channels D and number of classes K.
    """
    needed = list(_HEAD_KEYS) + [
        f'gconv{i}.att_{s}.0.weight' for i in range(1, _NUM_GATES + 1)
        for s in 'pn'
    ]
    missing = [k for k in needed if k not in state]
    if missing:
        raise InvalidInputError(
            f'{len(missing)} head tensors are missing: {missing}. ' + _FIX)
    fc8, fc9 = state['fc8.weight'], state['fc9.weight']
    if fc8.dim() != 4 or fc8.shape[1:] != (trunk_channels, 1, 1):
        raise InvalidInputError(
            f'fc8.weight has shape {tuple(fc8.shape)}; expected (D, '
            f'{trunk_channels}, 1, 1) for this trunk. ' + _FIX)
    hidden = fc8.shape[0]
    if fc9.dim() != 4 or fc9.shape[1:] != (hidden, 1, 1):
        raise InvalidInputError(
            f'fc9.weight has shape {tuple(fc9.shape)}; expected (K, '
            f'{hidden}, 1, 1) after fc8. ' + _FIX)
    num_classes = fc9.shape[0]
    for key in needed[2:]:
        if tuple(state[key].shape) != (2, 2 * num_classes, 3, 3):
            raise InvalidInputError(
                f'{key} has shape {tuple(state[key].shape)}; expected '
                f'(2, {2 * num_classes}, 3, 3) for K = {num_classes}. ' +
                _FIX)
    return hidden, num_classes


def convert_with_report(sd: Mapping) -> Tuple['OrderedDict', dict]:
    """Rename an official AEFT state dict and check it.

    Args:
        sd (Mapping): official state dict (keys may carry ``module.``;
            a ``{'state_dict': ...}`` wrapper is unwrapped).

    Returns:
        tuple[OrderedDict, dict]: the mmwsss state dict (floating tensors
        as float32) and a report: ``dropped`` (unused ``bn8`` keys),
        ``added`` (zero ``num_batches_tracked`` filled in),
        ``hidden_channels``, ``num_classes``, ``width_mult``.

    Raises:
        InvalidInputError: unknown keys (listed), missing tensors or
            inconsistent shapes.
    """
    sd = state_dict_of(sd, _FIX)
    reject_unknown_keys(sd, official_key_to_mmwsss, 'official AEFT', _FIX)
    dropped = [k for k in sd if official_key_to_mmwsss(k) == '']
    trunk = OrderedDict((k, v) for k, v in sd.items() if _TRUNK_RE.match(k))
    trunk, added = fit_to_shapes(trunk, _expected_trunk(trunk),
                                 'a ResNet38d trunk', _FIX)
    trunk_channels = trunk['bn7.running_mean'].shape[0]
    hidden, num_classes = _check_head(sd, trunk_channels)

    out = OrderedDict()
    for key, value in list(trunk.items()) + [
            (k, v) for k, v in sd.items() if not _TRUNK_RE.match(k)]:
        target = official_key_to_mmwsss(key)
        if not target:
            continue
        value = value.detach().cpu()
        out[target] = value.float() if value.is_floating_point() else value
    report = dict(
        dropped=dropped,
        added=added,
        hidden_channels=int(hidden),
        num_classes=int(num_classes),
        width_mult=trunk_channels / 4096)
    return out, report


def convert_aeft_state_dict(sd: Mapping) -> 'OrderedDict[str, torch.Tensor]':
    """The mmwsss ``AEFTClassifier`` state dict of an official one (see
    :func:`convert_with_report`)."""
    return convert_with_report(sd)[0]


def convert(src: str, dst: str) -> dict:
    """Convert the file ``src`` and save ``dst``.

    Returns:
        dict: the ``meta`` saved with the weights.

    Raises:
        MissingInputError: ``src`` does not exist.
        InvalidInputError: unreadable file or unexpected content.
    """
    sd = load_state_dict(src, _FIX, 'torch state dict')
    try:
        state, report = convert_with_report(sd)
    except InvalidInputError as exc:
        raise InvalidInputError(f'{src}: {exc}') from exc
    return save_converted(
        dst,
        state,
        src,
        'tools/model_converters/aeft_official.py',
        architecture='AEFTClassifier (ResNet38d + GPPHead)',
        source_format='official AEFT Net_gpp state dict',
        dropped_keys=list(report['dropped']),
        added_keys=list(report['added']),
        num_classes=report['num_classes'],
        hidden_channels=report['hidden_channels'],
        width_mult=report['width_mult'])


def summary(meta: dict) -> Iterator[str]:
    """The lines printed after a conversion."""
    dropped = meta['dropped_keys']
    yield (f'converted {meta["num_tensors"]} tensors (K='
           f'{meta["num_classes"]}, D={meta["hidden_channels"]}, '
           f'width_mult={meta["width_mult"]:g})')
    if dropped:
        yield (f'note: dropped {len(dropped)} keys of bn8, a BatchNorm the '
               f'official model builds but never uses: {", ".join(dropped)}')
    if meta['added_keys']:
        yield (f'note: the file has no num_batches_tracked for '
               f'{len(meta["added_keys"])} trunk BatchNorms; filled with 0')


def parse_args(argv=None):
    return converter_parser(
        'Convert the official AEFT classifier (Net_gpp state dict) into an '
        'mmwsss AEFTClassifier checkpoint.', 'official .pth state dict',
        'output .pth, e.g. pretrained/aeft_gpp_r38_voc_official.pth'
    ).parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_converter(lambda: convert(args.src, args.dst), args.dst,
                         summary)


if __name__ == '__main__':
    sys.exit(main())
