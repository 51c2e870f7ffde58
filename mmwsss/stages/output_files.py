"""Per-file records of a stage's outputs, to verify them cheaply.

A finished stage stores ``{name: [size, mtime_ns]}`` of every output file;
before it is skipped, each file is stat-ed against that record, and a file
that is missing or differs is checked by content and removed when it does
not load, so the resumed stage redoes exactly those.
"""
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence

from PIL import Image


def file_records(folder: str, names: Sequence[str]) -> Dict[str, list]:
    """``{name: [size, mtime_ns]}`` of the files in ``folder``."""
    records = {}
    for name in names:
        stat = os.stat(osp.join(folder, name))
        records[name] = [stat.st_size, stat.st_mtime_ns]
    return records


def damaged_files(folder: str, names: Sequence[str],
                  records: Optional[Dict[str, list]],
                  loads: Callable[[str], bool]) -> List[str]:
    """Names of outputs that are missing or do not load; those that exist
    but do not load are deleted. A file whose size and mtime match its
    record is trusted without reading it."""
    records = records or {}
    bad = []
    for name in names:
        path = osp.join(folder, name)
        if not osp.isfile(path):
            bad.append(name)
            continue
        stat = os.stat(path)
        if records.get(name) == [stat.st_size, stat.st_mtime_ns]:
            continue
        if not loads(path):
            os.remove(path)
            bad.append(name)
    return bad


def png_loads(path: str) -> bool:
    """Whether ``path`` decodes as a whole PNG."""
    try:
        with Image.open(path) as img:
            img.load()
        return True
    except (OSError, SyntaxError, ValueError):
        return False
