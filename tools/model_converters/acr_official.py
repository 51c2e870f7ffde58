#!/usr/bin/env python
"""Convert an official ACR checkpoint (sangrockEG/ACR) to mmwsss keys.

ACR: Kweon, Yoon, Yoon, "Weakly Supervised Semantic Segmentation via
Adversarial Learning of Classifier and Reconstructor", CVPR 2023. Input: the
PyTorch-Lightning checkpoint the official ``train_pl.py`` writes (e.g.
``last.ckpt``; its ``state_dict`` holds ``net_main.*``, the classifier F, and
``net_recon.*``, the reconstructor G), or a plain state dict with the same
keys. A checkpoint with ``net_main.*`` only gives the classifier alone (all
that CAM inference needs). Output: ``torch.save({'state_dict': ...,
'meta': {...}})`` for ``ACRClassifier`` (``configs/acr/``), loadable with
``weights_only=True``.

Usage::

    python tools/model_converters/acr_official.py \
        last.ckpt pretrained/acr_r38_voc_official.pth

Key mapping (official -> mmwsss), ``<trunk>`` = ``conv1a.*``, ``b2.*`` ...
``bn7.*`` (``ResNet38d`` keeps the official module names):

* ``net_main.<trunk>`` -> ``backbone.<trunk>``; ``net_main.fc8.weight`` /
  ``fc9.weight`` -> ``head.hidden.weight`` / ``head.classifier.weight``;
* ``net_recon.<trunk>`` -> ``reconstructor.encoder.<trunk>``;
  ``net_recon.fc8`` / ``fc9`` -> ``reconstructor.head.hidden`` /
  ``classifier``; ``net_recon.dr1``, ``dr2``, ``fc_recon`` ->
  ``reconstructor.taps.0``, ``1``, ``2``;
* ``net_recon.genUnet.down{k}.model.0.weight`` ->
  ``reconstructor.decoder.down{k}.conv.weight``, ``genUnet.up{j}.model.0``
  -> ``decoder.up{j}.conv``, ``genUnet.final.1.weight`` / ``bias`` ->
  ``decoder.final.conv.weight`` / ``bias``;
* ``net_main.dr1``, ``dr2``, ``fc_recon`` and ``net_main.genUnet.*``: an
  unused copy of the reconstructor's taps and decoder that the official
  classifier builds but never calls; dropped, with a note.

Any other key is an error that lists it (exit status 2). Shapes are checked
against the mmwsss modules of the widths found in the file.
"""
import argparse
import os.path as osp
import pickle
import re
import sys
from collections import OrderedDict
from typing import Iterator, List, Mapping, Optional, Tuple

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

import torch

from mmwsss.fileio.converted_checkpoint import (
    converter_parser,
    fit_to_shapes,
    reject_unknown_keys,
    run_converter,
    save_converted,
    state_dict_of,
)
from mmwsss.utils import InvalidInputError, MissingInputError

_TRUNK_RE = re.compile(r'^(conv1a|bn7|b\d+(_\d+)?)\.')
_HEAD = {'fc8.weight': 'hidden.weight', 'fc9.weight': 'classifier.weight'}
_TAPS = {'dr1.weight': 0, 'dr2.weight': 1, 'fc_recon.weight': 2}
_TAP_OUTPUTS = ('b5_in', 'b6_in', 'final')  # ResNet38d outputs they read
_UNET_RE = re.compile(r'^genUnet\.(?:(down|up)(\d+)\.model\.0\.weight|'
                      r'final\.1\.(weight|bias))$')
_PREFIX = {'net_main': ('backbone.', 'head.'),
           'net_recon': ('reconstructor.encoder.', 'reconstructor.head.')}
_LIGHTNING = ('pytorch_lightning.', 'lightning.', 'lightning_fabric.')
_FIX = ('Expected the official ACR checkpoint of sangrockEG/ACR (a '
        'PyTorch-Lightning .ckpt or its state dict; keys net_main.* and '
        'net_recon.*: ResNet-38d trunk, fc8, fc9, dr1, dr2, fc_recon, '
        'genUnet.*).')


def official_key_to_mmwsss(key: str) -> Optional[str]:
    """Map one official key.

    Returns:
        str | None: the mmwsss key, ``''`` for a dropped key (the unused
        copy of the taps and decoder in ``net_main``), or None for a key
        that matches no rule.
    """
    net, _, rest = key.partition('.')
    if net not in _PREFIX:
        return None
    trunk_prefix, head_prefix = _PREFIX[net]
    if _TRUNK_RE.match(rest):
        return trunk_prefix + rest
    if rest in _HEAD:
        return head_prefix + _HEAD[rest]
    unet = _UNET_RE.match(rest)
    if rest not in _TAPS and not unet:
        return None
    if net == 'net_main':
        return ''
    if rest in _TAPS:
        return f'reconstructor.taps.{_TAPS[rest]}.weight'
    if unet.group(1):
        return (f'reconstructor.decoder.{unet.group(1)}{unet.group(2)}'
                '.conv.weight')
    return f'reconstructor.decoder.final.conv.{unet.group(3)}'


def _need(state: Mapping, keys: List[str], what: str) -> None:
    missing = [k for k in keys if k not in state]
    if missing:
        raise InvalidInputError(
            f'{what}: {len(missing)} tensors are missing: {missing}. ' + _FIX)


def _decoder_layout(state: Mapping[str, torch.Tensor]) -> dict:
    """Tap widths, decoder widths and output kernel of ``net_recon``."""
    _need(state, [f'net_recon.{k}' for k in _TAPS], 'net_recon taps')
    downs = sorted(
        int(m.group(2)) for m in (_UNET_RE.match(k[len('net_recon.'):])
                                  for k in state)
        if m and m.group(1) == 'down')
    if len(downs) < 2 or downs != list(range(1, len(downs) + 1)):
        raise InvalidInputError(
            f'net_recon.genUnet has down blocks {downs}; expected down1 .. '
            'downN with N >= 2. ' + _FIX)
    _need(state, ['net_recon.genUnet.final.1.weight'], 'net_recon decoder')
    return dict(
        tap_channels=[int(state[f'net_recon.{k}'].shape[0]) for k in _TAPS],
        decoder_channels=[
            int(state[f'net_recon.genUnet.down{k}.model.0.weight'].shape[0])
            for k in downs
        ],
        final_kernel=int(state['net_recon.genUnet.final.1.weight'].shape[-1]))


def _expected(state: Mapping[str, torch.Tensor], net: str
              ) -> Tuple['OrderedDict[str, torch.Size]', dict]:
    """mmwsss key -> shape for the modules that ``net``'s tensors fit
    (built on the meta device), and the layout found."""
    from mmwsss.models.backbones import ResNet38d
    from mmwsss.models.heads import GAPHead
    from mmwsss.models.reconstructors import ReconstructionUNet
    _need(state, [f'{net}.conv1a.weight', f'{net}.bn7.running_mean'] +
          [f'{net}.{k}' for k in _HEAD], net)
    fc8, fc9 = (state[f'{net}.{k}'] for k in _HEAD)
    layout = dict(
        width_mult=state[f'{net}.bn7.running_mean'].shape[0] / 4096,
        num_classes=int(fc9.shape[0]),
        hidden_channels=int(fc8.shape[0]))
    with torch.device('meta'):
        trunk = ResNet38d(
            in_channels=state[f'{net}.conv1a.weight'].shape[1],
            width_mult=layout['width_mult'])
        head = GAPHead(layout['num_classes'], trunk.out_channels['final'],
                       hidden_channels=layout['hidden_channels'])
        parts = [(_PREFIX[net][0], trunk), (_PREFIX[net][1], head)]
        if net == 'net_recon':  # in ACRReconstructor's module order
            layout.update(_decoder_layout(state))
            taps = torch.nn.ModuleList(
                torch.nn.Conv2d(trunk.out_channels[n], c, 1, bias=False)
                for n, c in zip(_TAP_OUTPUTS, layout['tap_channels']))
            depth = len(layout['decoder_channels'])
            decoder = ReconstructionUNet(
                in_channels=sum(layout['tap_channels']),
                channels=layout['decoder_channels'],
                dropout=[0.0] * depth,
                final_kernel=layout['final_kernel'])
            parts.insert(1, ('reconstructor.taps.', taps))
            parts.append(('reconstructor.decoder.', decoder))
    shapes = OrderedDict((prefix + k, v.shape) for prefix, module in parts
                         for k, v in module.state_dict().items())
    return shapes, layout


def convert_with_report(sd: Mapping) -> Tuple['OrderedDict', dict]:
    """Rename an official ACR state dict and check it.

    Args:
        sd (Mapping): the official state dict, or a Lightning checkpoint
            dict holding it under ``state_dict``.

    Returns:
        tuple[OrderedDict, dict]: the mmwsss state dict (floating tensors as
        float32) and a report: ``dropped`` (keys of the unused copy),
        ``added`` (zero ``num_batches_tracked`` filled in), ``classifier``
        and ``reconstructor`` layouts (widths, classes, taps, decoder;
        ``reconstructor`` is None when the file has no ``net_recon``).

    Raises:
        InvalidInputError: unknown keys (listed), missing tensors or
            inconsistent shapes.
    """
    sd = state_dict_of(sd, _FIX)
    reject_unknown_keys(sd, official_key_to_mmwsss, 'official ACR', _FIX,
                        ('backbone.', 'head.', 'reconstructor.'))
    nets = ('net_main', ) + (('net_recon', ) if any(
        k.startswith('net_recon.') for k in sd) else ())
    expected, layouts = OrderedDict(), {}
    for net in nets:
        shapes, layouts[net] = _expected(sd, net)
        expected.update(shapes)
    out = OrderedDict()
    for key, value in sd.items():
        target = official_key_to_mmwsss(key)
        if target:
            value = value.detach().cpu()
            out[target] = value.float() if value.is_floating_point() \
                else value
    out, added = fit_to_shapes(
        out, expected, 'the modules of the widths found in the file', _FIX)
    report = dict(
        dropped=[k for k in sd if official_key_to_mmwsss(k) == ''],
        added=added,
        classifier=layouts['net_main'],
        reconstructor=layouts.get('net_recon'))
    return out, report


def convert_acr_state_dict(sd: Mapping) -> 'OrderedDict[str, torch.Tensor]':
    """The mmwsss ``ACRClassifier`` state dict of an official one (see
    :func:`convert_with_report`)."""
    return convert_with_report(sd)[0]


def _stub(name: str) -> type:
    return type(name.rsplit('.', 1)[-1], (), {'__module__': 'acr_official'})


def load_official(src: str) -> Mapping:
    """Read ``src`` without running code from it (``weights_only``).

    A Lightning checkpoint also pickles its hyper-parameters (an
    ``argparse.Namespace``) and keys callback states by Lightning classes;
    those are allowed as inert stand-ins (the state dict is all we keep).

    Raises:
        MissingInputError: ``src`` does not exist.
        InvalidInputError: unreadable, or it needs other Python objects.
    """
    if not osp.isfile(src):
        raise MissingInputError(f'checkpoint not found: {src!r}. ' + _FIX)
    try:
        try:
            return torch.load(src, map_location='cpu', weights_only=True)
        except pickle.UnpicklingError:
            names = torch.serialization.get_unsafe_globals_in_checkpoint(src)
            other = [n for n in names if n != 'argparse.Namespace'
                     and not n.startswith(_LIGHTNING)]
            if other:
                raise InvalidInputError(
                    f'{src}: refusing to unpickle {other}. Fix: extract the '
                    'state dict where the official code runs: python -c '
                    '"import torch; torch.save(torch.load(\'last.ckpt\', '
                    "map_location='cpu')['state_dict'], 'acr_state.pth')\" "
                    'and convert acr_state.pth. ' + _FIX)
            allowed = [argparse.Namespace] + [(_stub(n), n) for n in names
                                              if n.startswith(_LIGHTNING)]
            with torch.serialization.safe_globals(allowed):
                return torch.load(src, map_location='cpu', weights_only=True)
    except InvalidInputError:
        raise
    except Exception as exc:  # unpickling/zip errors of many kinds
        raise InvalidInputError(
            f'{src}: not a readable torch checkpoint '
            f'({type(exc).__name__}: {exc}). ' + _FIX) from exc


def convert(src: str, dst: str) -> dict:
    """Convert the file ``src`` and save ``dst``.

    Returns:
        dict: the ``meta`` saved with the weights.
    """
    sd = load_official(src)
    try:
        state, report = convert_with_report(sd)
    except InvalidInputError as exc:
        raise InvalidInputError(f'{src}: {exc}') from exc
    return save_converted(
        dst,
        state,
        src,
        'tools/model_converters/acr_official.py',
        architecture='ACRClassifier (ResNet38d + GAPHead; reconstructor: '
        'ResNet38d + taps + GAPHead + ReconstructionUNet)',
        source_format='official ACR (sangrockEG/ACR) Lightning state dict',
        dropped_keys=list(report['dropped']),
        added_keys=list(report['added']),
        classifier=report['classifier'],
        reconstructor=report['reconstructor'])


def summary(meta: dict) -> Iterator[str]:
    """The lines printed after a conversion."""
    cls = meta['classifier']
    yield (f'converted {meta["num_tensors"]} tensors (C='
           f'{cls["num_classes"]}, hidden={cls["hidden_channels"]}, '
           f'width_mult={cls["width_mult"]:g})')
    rec = meta['reconstructor']
    if rec is None:
        yield ('note: the file has no net_recon.* keys: classifier only '
               '(enough for CAM inference; the reconstructor keeps its '
               'initialisation)')
    else:
        yield (f'reconstructor: taps {rec["tap_channels"]}, decoder '
               f'channels {rec["decoder_channels"]}, final kernel '
               f'{rec["final_kernel"]}')
    if meta['dropped_keys']:
        yield (f'note: dropped {len(meta["dropped_keys"])} net_main keys of '
               'the taps/decoder copy the official classifier builds but '
               'never uses')
    if meta['added_keys']:
        yield (f'note: filled {len(meta["added_keys"])} missing '
               'num_batches_tracked with 0')


def parse_args(argv=None):
    return converter_parser(
        'Convert an official ACR checkpoint (sangrockEG/ACR, Lightning '
        '.ckpt or state dict) into an mmwsss ACRClassifier checkpoint.',
        'official .ckpt / .pth',
        'output .pth, e.g. pretrained/acr_r38_voc_official.pth').parse_args(
            argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_converter(lambda: convert(args.src, args.dst), args.dst,
                         summary)


if __name__ == '__main__':
    sys.exit(main())
