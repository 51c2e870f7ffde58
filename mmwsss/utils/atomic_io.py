"""Atomic file writes: a killed process leaves whole files or temporaries.

Every file is written to a hidden temporary ``.<name>.<pid>.tmp`` in its
destination folder, flushed to disk (fsync) and renamed over the
destination; :func:`remove_temporaries` deletes what a killed writer left.
"""
import json
import os
import os.path as osp
import re
from typing import Any, Optional, Sequence

_TMP = re.compile(r'^\.(?P<name>.+)\.\d+\.tmp$')


def atomic_write(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file, fsync and rename;
    the destination folder is created."""
    folder, name = osp.split(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{name}.{os.getpid()}.tmp')
    try:
        with open(tmp, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def atomic_write_json(path: str, obj: Any) -> None:
    """Atomically write ``obj`` as indented JSON (keys sorted)."""
    text = json.dumps(obj, indent=2, sort_keys=True, default=str) + '\n'
    atomic_write(path, text.encode())


def remove_temporaries(folder: str,
                       names: Optional[Sequence[str]] = None) -> int:
    """Delete temporaries left in ``folder`` by killed writers.

    Args:
        folder (str): the output folder.
        names (Sequence[str], optional): only the temporaries of these
            destination file names (a shard's own files, so concurrent
            shards never delete each other's). Default: all.

    Returns:
        int: the number of files removed.
    """
    if not osp.isdir(folder):
        return 0
    wanted = None if names is None else set(names)
    removed = 0
    for entry in os.listdir(folder):
        match = _TMP.match(entry)
        if match and (wanted is None or match['name'] in wanted):
            os.remove(osp.join(folder, entry))
            removed += 1
    return removed
