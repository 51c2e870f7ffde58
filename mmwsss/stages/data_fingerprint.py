"""Fingerprints of the data a stage reads: ids, annotations, file contents.

A stage is skipped only when its data is unchanged, so the fingerprint
covers every data info of its datasets: the non-path fields (ids, image
labels, boxes) as values, and each file a path field names by its content
hash. Content hashes are cached per file under its size and modification
time (``<work_dir>/.file_hashes.json``), so an unchanged data root costs
one ``stat`` per file; a touched file is re-hashed and only a changed
content changes the fingerprint. Paths themselves are not hashed: a data
root moved or copied elsewhere with the same contents is the same data.
Images and masks are decoded once, when first hashed: a missing, truncated
or non-image file stops the run before any stage starts, naming the file.
"""
import json
import os
import os.path as osp
from typing import Any, Dict, Iterable, Optional, Tuple

import numpy as np
from PIL import Image

from mmwsss.utils import InvalidInputError, MissingInputError
from mmwsss.utils.atomic_io import atomic_write_json
from .stage_manifest import file_hash, stable_hash

#: data-info keys whose files are decoded once when first fingerprinted
DECODED = ('img_path', 'seg_map_path')


class FileHashCache:
    """Content hashes of files, cached under (size, mtime).

    Args:
        path (str): the JSON cache file (created on :meth:`save`).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._entries: Dict[str, list] = {}
        self._dirty = False
        if osp.isfile(path):
            try:
                with open(path) as f:
                    self._entries = json.load(f)
            except (OSError, ValueError):
                self._entries = {}  # a damaged cache is only a cache

    def hash(self,
             path: str,
             decode: bool = False,
             size: Optional[Tuple[int, int]] = None) -> str:
        """The SHA-256 (16 hex digits) of the file's bytes; with ``decode``
        a new or changed image is also decoded once (a truncated or
        non-image file stops here, before any stage runs) and compared
        with the annotated ``size`` (width, height) when given."""
        key = osp.abspath(path)
        stat = os.stat(key)
        entry = self._entries.get(key)
        if entry and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns:
            return entry[2]
        if decode:
            check_image(key, size)
        digest = file_hash(key)
        self._entries[key] = [stat.st_size, stat.st_mtime_ns, digest]
        self._dirty = True
        return digest

    def save(self) -> None:
        if self._dirty:
            atomic_write_json(self.path, self._entries)
            self._dirty = False


def check_image(path: str, size: Optional[Tuple[int, int]] = None) -> None:
    """Raise a clear error when ``path`` does not decode as an image, or
    its (width, height) differs from the annotated ``size``."""
    try:
        with Image.open(path) as img:
            img.load()
            actual = img.size
    except (OSError, SyntaxError, ValueError) as e:
        raise InvalidInputError(
            f'{path} is not a readable image ({e}). Fix: replace it with '
            'the original file (re-extract or re-download the dataset), or '
            'remove its id from the split list.') from e
    if size is not None and tuple(size) != tuple(actual):
        raise InvalidInputError(
            f'{path} is {actual[0]}x{actual[1]} but its annotation says '
            f'{size[0]}x{size[1]} (<size> of the XML): the boxes would land '
            'in the wrong place. Fix the annotation or the image.')


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.generic, )):
        return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def info_fingerprint(info: dict, hashes: FileHashCache) -> list:
    """One data info as hashable values: files by content, the rest as
    is (sorted by key)."""
    items = []
    if info.get('img_path') and not osp.isfile(info['img_path']):
        raise MissingInputError(
            f'Image {info["img_path"]} (id {info.get("img_id")}) is listed '
            'in the split but does not exist. Fix: restore the file or '
            'remove the id from the split list.')
    for key in sorted(info):
        value = info[key]
        if isinstance(value, str) and osp.isfile(value):
            size = ((info['width'], info['height']) if key == 'img_path'
                    and 'width' in info and 'height' in info else None)
            items.append(
                [key, 'file',
                 hashes.hash(value, key in DECODED, size)])
        elif isinstance(value, str) and (osp.sep in value):
            items.append([key, 'missing', osp.basename(value)])
        else:
            items.append([key, _plain(value)])
    return items


def datasets_fingerprint(datasets: Iterable, hashes: FileHashCache) -> str:
    """The fingerprint of what ``datasets`` hold (see the module doc)."""
    parts = []
    for dataset in datasets:
        infos = [
            info_fingerprint(dataset.get_data_info(i), hashes)
            for i in range(len(dataset))
        ]
        parts.append([type(dataset).__name__, stable_hash(infos)])
    hashes.save()
    return stable_hash(parts)
