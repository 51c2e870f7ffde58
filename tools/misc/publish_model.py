"""Turn a training checkpoint into a release file for the model zoo.

``python tools/misc/publish_model.py IN_CKPT [OUT_DIR] [--stem STEM]
[--log LOG]``

The release keeps the weights (``state_dict``, on the CPU) and a ``meta``
dict restricted to plain values (str, int, float, bool, None, lists and
str-keyed dicts of those), so it loads with
``torch.load(path, weights_only=True)``. Everything else mmengine stores for
resuming (``optimizer``, ``param_schedulers``, ``message_hub``,
``ema_state_dict``, ...) is dropped. The file is named
``<stem>_<YYYYMMDD_HHMMSS>-<sha256[:8]>.pth`` (docs/en/model_zoo.md): the
stem is the config stem (by default read from the checkpoint, else the name
of its folder, i.e. the work dir; see :func:`default_stem`), the time is the
moment of publishing in UTC and the hash is taken over the bytes of the
final file. A training log given with ``--log``
is copied next to it as ``<same name>.log.json``.

The input is read with ``weights_only=True`` plus mmengine's allow-list
(numpy arrays, ``HistoryBuffer``) and unpickled in full only when it holds
other objects, so publish only checkpoints you trained yourself.
"""
import argparse
import copy
import datetime
import os
import os.path as osp
import pickle
import re
import sys
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))

import numpy as np
import torch

from mmwsss.utils import (
    InvalidInputError,
    MissingInputError,
    exit_on_user_error,
    sha256_file,
)
from mmwsss.utils.atomic_io import atomic_write

TOOL = 'tools/misc/publish_model.py'
_STEM_RE = re.compile(r'^[A-Za-z0-9_]+$')
_EXPERIMENT_RE = re.compile(r'^(?P<stem>[A-Za-z0-9_]+)_\d{8}_\d{6}$')
_PLAIN_SCALARS = (str, int, float, bool, type(None))


def default_stem(in_path: str, meta: Optional[dict] = None) -> str:
    """The config stem the checkpoint was trained with.

    Taken from mmengine's ``meta['experiment_name']``
    (``<config stem>_<YYYYMMDD_HHMMSS>``) when present, else the name of
    the folder holding the checkpoint (the work dir of ``tools/train.py``:
    ``work_dirs/x/iter_8000.pth`` -> ``x``). Both agree for
    ``tools/train.py`` runs; the experiment name also covers
    ``tools/run_pipeline.py``, which trains in ``work_dirs/x/train/``.
    """
    name = (meta or {}).get('experiment_name')
    if isinstance(name, str):
        match = _EXPERIMENT_RE.match(name)
        if match:
            return match['stem']
    return osp.basename(osp.dirname(osp.abspath(in_path)))


def release_name(stem: str, timestamp: str, digest: str) -> str:
    """``<stem>_<YYYYMMDD_HHMMSS>-<digest[:8]>.pth``."""
    return f'{stem}_{timestamp}-{digest[:8]}.pth'


def plain_meta(value: Any, path: str = 'meta',
               dropped: Optional[List[str]] = None) -> Any:
    """A copy of ``value`` that keeps only JSON-like data.

    Tuples become lists and numpy scalars Python scalars; dict entries with
    a non-str key or a non-plain value are left out, as are such list
    items, and their dotted paths are appended to ``dropped``.

    Returns:
        The plain copy; ``None`` together with ``path`` in ``dropped`` when
        ``value`` itself is not plain.
    """
    dropped = [] if dropped is None else dropped
    if isinstance(value, _PLAIN_SCALARS):
        return value
    if type(value).__module__ == 'numpy' and hasattr(value, 'item') \
            and getattr(value, 'ndim', None) == 0:
        item = value.item()
        if isinstance(item, _PLAIN_SCALARS):
            return item
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            sub = f'{path}.{key}'
            if not isinstance(key, str):
                dropped.append(sub)
                continue
            before = len(dropped)
            new = plain_meta(item, sub, dropped)
            if new is not None or len(dropped) == before:
                out[key] = new
        return out
    if isinstance(value, (list, tuple)):
        out = []
        for i, item in enumerate(value):
            before = len(dropped)
            new = plain_meta(item, f'{path}[{i}]', dropped)
            if new is not None or len(dropped) == before:
                out.append(new)
        return out
    dropped.append(path)
    return None


def _require_checkpoint(in_path: str) -> None:
    if not osp.isfile(in_path):
        raise MissingInputError(
            f'Checkpoint {in_path} does not exist. Give a file written by '
            'tools/train.py, e.g. work_dirs/<config stem>/iter_<N>.pth.')


def load_training_checkpoint(in_path: str) -> dict:
    """Read an mmengine checkpoint on the CPU.

    Raises:
        MissingInputError: no such file.
        InvalidInputError: unreadable, or no ``state_dict`` of tensors.
    """
    _require_checkpoint(in_path)
    from mmengine.runner.checkpoint import get_torch_safe_globals

    # mmengine's allow-list (numpy arrays, HistoryBuffer) plus the dtype
    # classes of all numeric numpy scalars (harmless data types)
    allowed = get_torch_safe_globals() + [
        type(np.dtype(t)) for t in '?bBhHiIlLqQefdg'
    ]
    try:
        try:  # what the Runner writes
            with torch.serialization.safe_globals(allowed):
                ckpt = torch.load(
                    in_path, map_location='cpu', weights_only=True)
        except pickle.UnpicklingError:  # other objects in meta or hooks
            print(f'note: {in_path} holds objects beyond tensors and numpy '
                  'arrays; unpickling it in full.', file=sys.stderr)
            ckpt = torch.load(in_path, map_location='cpu', weights_only=False)
    except Exception as exc:  # zip/unpickling errors of many kinds
        raise InvalidInputError(
            f'{in_path} is not a readable torch checkpoint '
            f'({type(exc).__name__}: {exc}).') from exc
    if not isinstance(ckpt, dict) or not isinstance(
            ckpt.get('state_dict'), dict):
        keys = sorted(map(str, ckpt)) if isinstance(ckpt, dict) else []
        raise InvalidInputError(
            f'{in_path} has no "state_dict" (top-level keys: {keys}); '
            'publish_model.py expects a checkpoint saved by the mmengine '
            'Runner (tools/train.py). A bare weights file needs no '
            'publishing step.')
    bad = [k for k, v in ckpt['state_dict'].items()
           if not isinstance(v, torch.Tensor)]
    if bad:
        raise InvalidInputError(
            f'{in_path}: state_dict entries that are not tensors: {bad}.')
    return ckpt


def strip_checkpoint(ckpt: dict) -> Tuple[dict, List[str]]:
    """Keep ``state_dict`` (tensors detached, on the CPU) and plain
    ``meta``.

    Returns:
        tuple[dict, list[str]]: the release dict and what was dropped
        (top-level keys and non-plain meta paths).
    """
    dropped = [k for k in ckpt if k not in ('state_dict', 'meta')]
    source = ckpt['state_dict']
    state = OrderedDict(
        (k, v.detach().cpu()) for k, v in source.items())
    metadata = getattr(source, '_metadata', None)
    if metadata is not None:  # module versions, used by load hooks
        state._metadata = plain_meta(copy.deepcopy(metadata))
    meta = ckpt.get('meta')
    if meta is None:
        meta = {}
    elif not isinstance(meta, dict):
        dropped.append('meta')
        meta = {}
    else:
        meta = plain_meta(meta, 'meta', dropped)
    return dict(state_dict=state, meta=meta), dropped


def _utc_timestamp() -> str:
    return datetime.datetime.now(
        datetime.timezone.utc).strftime('%Y%m%d_%H%M%S')


def publish(in_path: str,
            out_dir: Optional[str] = None,
            stem: Optional[str] = None,
            log: Optional[str] = None,
            timestamp: Optional[str] = None) -> str:
    """Write the release file of ``in_path``; see :func:`publish_report`.

    Returns:
        str: path of the release ``.pth``.
    """
    return publish_report(in_path, out_dir, stem, log, timestamp)['out']


def publish_report(in_path: str,
                   out_dir: Optional[str] = None,
                   stem: Optional[str] = None,
                   log: Optional[str] = None,
                   timestamp: Optional[str] = None) -> Dict[str, Any]:
    """Write the release file of ``in_path``.

    Args:
        in_path (str): mmengine training checkpoint.
        out_dir (str, optional): output folder (created). Default: the
            checkpoint's folder.
        stem (str, optional): name prefix (the config stem); letters,
            digits and ``_``. Default: :func:`default_stem`.
        log (str, optional): training log copied as ``<name>.log.json``.
        timestamp (str, optional): ``YYYYMMDD_HHMMSS``. Default: now, UTC.

    Returns:
        dict: ``out`` (release ``.pth``), ``log`` (its ``.log.json`` or
        None), ``sha256`` (of the release file) and ``dropped`` (what was
        left out: top-level keys and non-plain meta paths).

    Raises:
        MissingInputError: ``in_path`` or ``log`` does not exist.
        InvalidInputError: no ``state_dict``, or an unusable stem.
    """
    _require_checkpoint(in_path)
    if timestamp is not None and not re.match(r'^\d{8}_\d{6}$', timestamp):
        raise InvalidInputError(
            f'timestamp {timestamp!r} is not YYYYMMDD_HHMMSS.')
    if log is not None and not osp.isfile(log):
        raise MissingInputError(
            f'Training log {log} does not exist (mmengine writes '
            'work_dirs/<stem>/<run time>/vis_data/scalars.json).')
    ckpt = load_training_checkpoint(in_path)
    if stem is None:
        meta = ckpt.get('meta')
        stem = default_stem(in_path, meta if isinstance(meta, dict) else None)
    if not _STEM_RE.match(stem):
        raise InvalidInputError(
            f'Release stem {stem!r} must use only letters, digits and "_" '
            '(it is the config stem; "-" separates the hash). Pass --stem '
            '<config stem>.')
    release, dropped = strip_checkpoint(ckpt)
    timestamp = _utc_timestamp() if timestamp is None else timestamp
    release['meta']['publish'] = dict(
        source=osp.basename(in_path), time=timestamp, tool=TOOL)

    out_dir = osp.dirname(osp.abspath(in_path)) if out_dir is None \
        else out_dir
    os.makedirs(out_dir, exist_ok=True)
    # Temporary in the destination folder (same file system, so the rename
    # is atomic; the name matches mmwsss.utils.atomic_io's temporaries).
    tmp = osp.join(out_dir, f'.{stem}_{timestamp}.pth.{os.getpid()}.tmp')
    try:
        with open(tmp, 'wb') as f:
            torch.save(release, f)
            f.flush()
            os.fsync(f.fileno())
        digest = sha256_file(tmp)
        out_path = osp.join(out_dir, release_name(stem, timestamp, digest))
        os.replace(tmp, out_path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    log_path = None
    if log is not None:
        log_path = out_path[:-len('.pth')] + '.log.json'
        with open(log, 'rb') as f:
            atomic_write(log_path, f.read())
    return dict(out=out_path, log=log_path, sha256=digest, dropped=dropped)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Strip a training checkpoint down to weights + plain '
        'meta and name it <stem>_<UTC time>-<sha256[:8]>.pth for release.')
    parser.add_argument('in_file', help='checkpoint written by tools/train.py')
    parser.add_argument(
        'out_dir',
        nargs='?',
        help='output folder (default: the checkpoint\'s folder)')
    parser.add_argument(
        '--stem',
        help='file name prefix, the config stem (default: the config stem '
        'in the checkpoint\'s meta.experiment_name, else the name of the '
        'checkpoint\'s folder)')
    parser.add_argument(
        '--log',
        help='training log to copy as <release name>.log.json (e.g. '
        'work_dirs/<stem>/<run time>/vis_data/scalars.json)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    with exit_on_user_error():
        report = publish_report(args.in_file, args.out_dir, args.stem,
                                args.log)
    if report['dropped']:
        print(f'dropped: {", ".join(report["dropped"])}', file=sys.stderr)
    if report['log']:
        print(f'log: {report["log"]}', file=sys.stderr)
    print(report['out'])
    return 0


if __name__ == '__main__':
    sys.exit(main())
