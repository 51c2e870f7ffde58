"""What the model converters of ``tools/model_converters/`` share.

Reading an official torch state dict safely (``weights_only``), checking a
renamed state dict against the shapes of the modules it is meant for,
writing ``{'state_dict': ..., 'meta': ...}`` atomically (it loads with
``weights_only=True``) and the command line ``SRC DST`` whose user errors
print a message and return exit status 2. The conversion itself (key
mapping, file formats) stays in each converter.
"""
import argparse
import io
import os.path as osp
from collections import OrderedDict
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Tuple

import torch

from mmwsss.utils import (
    USER_ERRORS,
    InvalidInputError,
    MissingInputError,
    sha256_file,
)
from mmwsss.utils.atomic_io import atomic_write
from mmwsss.utils.errors import print_user_error


def state_dict_of(obj, fix: str, src: str = '') -> Dict[str, torch.Tensor]:
    """The tensors of a state dict: a ``{'state_dict': ...}`` wrapper is
    unwrapped and ``module.`` prefixes (DataParallel) are removed.

    Args:
        obj: what ``torch.load`` returned.
        fix (str): the converter's hint on the expected file, appended to
            every error message.
        src (str): the file name to start error messages with, if any.

    Raises:
        InvalidInputError: not a mapping, or entries that are not tensors.
    """
    where = f'{src}: ' if src else ''
    if isinstance(obj, Mapping) and isinstance(obj.get('state_dict'),
                                               Mapping):
        obj = obj['state_dict']
    if not isinstance(obj, Mapping):
        raise InvalidInputError(
            f'{where}holds a {type(obj).__name__}, not a state dict. {fix}')
    bad = [k for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise InvalidInputError(
            f'{where}entries that are not tensors: {bad}. {fix}')
    return OrderedDict((k[len('module.'):] if k.startswith('module.') else k,
                        v) for k, v in obj.items())


def load_state_dict(src: str,
                    fix: str,
                    what: str = 'torch checkpoint') -> Dict[str, torch.Tensor]:
    """:func:`state_dict_of` the file ``src``, read with ``weights_only``
    (no code from the file runs).

    Raises:
        MissingInputError: ``src`` does not exist.
        InvalidInputError: not a readable ``what``, or no state dict.
    """
    if not osp.isfile(src):
        raise MissingInputError(f'checkpoint not found: {src!r}. {fix}')
    try:
        obj = torch.load(src, map_location='cpu', weights_only=True)
    except Exception as exc:  # unpickling/zip errors of many kinds
        raise InvalidInputError(
            f'{src}: not a readable {what} ({type(exc).__name__}: {exc}). '
            f'{fix}') from exc
    return state_dict_of(obj, fix, src)


def reject_unknown_keys(keys: Iterable[str],
                        to_mmwsss: Callable[[str], Optional[str]],
                        source: str,
                        fix: str,
                        own_prefixes: Tuple[str, ...] = ('backbone.',
                                                         'head.')) -> None:
    """Raise for the official keys that no mapping rule knows.

    Args:
        keys (Iterable[str]): the official keys.
        to_mmwsss (Callable): official key -> mmwsss key, ``''`` for a
            dropped key, None for an unknown one.
        source (str): the official model, e.g. ``'official AEFT'``.
        fix (str): appended to the message.
        own_prefixes (tuple[str]): prefixes of mmwsss keys: unknown keys
            with them mean the file needs no conversion (said so).

    Raises:
        InvalidInputError: listing the unknown keys.
    """
    unknown = [k for k in keys if to_mmwsss(k) is None]
    if unknown:
        hint = (' These look like mmwsss keys already (no conversion '
                'needed).' if any(k.startswith(own_prefixes)
                                  for k in unknown) else '')
        raise InvalidInputError(
            f'{len(unknown)} keys match no {source} module: {unknown}.'
            f'{hint} {fix}')


def fit_to_shapes(state: Mapping[str, torch.Tensor],
                  expected: Mapping[str, torch.Size], model: str,
                  fix: str) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """Check a converted state dict against the shapes of its modules.

    Args:
        state (Mapping): the converted tensors.
        expected (Mapping): key -> shape of the target modules (e.g. built
            on the meta device), in their order.
        model (str): the target, for messages, e.g. ``'a ResNet38d'``.
        fix (str): appended to every error message.

    Returns:
        tuple[OrderedDict, list[str]]: ``state`` in the order of
        ``expected``, with a zero ``num_batches_tracked`` where the file
        has none (older torch saves), and the keys so added.

    Raises:
        InvalidInputError: keys ``model`` does not have, missing tensors
            or wrong shapes (listed).
    """
    extra = [k for k in state if k not in expected]
    if extra:
        raise InvalidInputError(
            f'{len(extra)} tensors do not exist in {model}: {extra}. {fix}')
    missing = [k for k in expected if k not in state]
    added = [k for k in missing if k.endswith('num_batches_tracked')]
    missing = [k for k in missing if k not in added]
    if missing:
        raise InvalidInputError(
            f'{len(missing)} tensors of {model} are missing: {missing}. '
            f'{fix}')
    wrong = [(k, tuple(v.shape), tuple(expected[k]))
             for k, v in state.items() if v.shape != expected[k]]
    if wrong:
        raise InvalidInputError(
            f'{len(wrong)} tensors have shapes inconsistent with {model} '
            f'(key, file, expected): {wrong[:10]}. {fix}')
    zero = torch.tensor(0, dtype=torch.long)
    fitted = OrderedDict(
        (k, state[k] if k in state else zero.clone()) for k in expected)
    return fitted, added


def save_converted(dst: str, state: Mapping[str, torch.Tensor], src: str,
                   converter: str, **fields) -> dict:
    """Write ``{'state_dict': state, 'meta': meta}`` to ``dst`` atomically.

    ``meta`` holds ``fields`` (plain values) and ``source`` (the file name
    of ``src``), ``source_sha256``, ``num_tensors`` and ``converter`` (the
    tool, e.g. ``'tools/model_converters/aeft_official.py'``).

    Returns:
        dict: ``meta``.
    """
    meta = dict(
        fields,
        source=osp.basename(src),
        source_sha256=sha256_file(src),
        num_tensors=len(state),
        converter=converter)
    buf = io.BytesIO()
    torch.save(dict(state_dict=state, meta=meta), buf)
    atomic_write(dst, buf.getvalue())
    return meta


def converter_parser(description: str, src_help: str,
                     dst_help: str) -> argparse.ArgumentParser:
    """The argument parser of a converter: positional ``src`` and ``dst``
    (add the converter's own options to it)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('src', help=src_help)
    parser.add_argument('dst', help=dst_help)
    return parser


def run_converter(convert: Callable[[], dict], dst: str,
                  summary: Callable[[dict], Iterable[str]]) -> int:
    """Run ``convert`` (returns the saved ``meta``), print the lines of
    ``summary(meta)`` and ``saved <dst>``.

    Returns:
        int: the exit status: 0, or 2 after a user error's message (or a
        full disk's, a read-only folder's) went to stderr.
    """
    try:
        meta = convert()
    except (*USER_ERRORS, OSError) as exc:
        if not print_user_error(exc):
            raise
        return 2
    for line in summary(meta):
        print(line)
    print(f'saved {dst}')
    return 0
