"""Atomic writes and load checks of per-image ``.npz`` arrays (e.g. the
CRF score pairs from which AffinityNet's labels are cut)."""
import io
import os.path as osp
import zipfile
import zlib
from typing import Dict

import numpy as np

from mmwsss.utils.atomic_io import atomic_write


def save_npz(path: str, arrays: Dict[str, np.ndarray]) -> None:
    """Atomically write ``arrays`` as an uncompressed npz (float maps
    compress poorly and are read once per training sample)."""
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    atomic_write(path, buf.getvalue())


def npz_loads(path: str) -> bool:
    """Whether ``path`` exists and every array in it reads back."""
    if not osp.isfile(path):
        return False
    try:
        with np.load(path, allow_pickle=False) as data:
            for key in data.files:
                data[key]
        return True
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error):
        return False
