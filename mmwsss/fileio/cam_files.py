"""CAM files: validated reads and atomic writes of ``<id>.npz`` (keys and
float16 CAMs in [0, 1])."""
import io
import os.path as osp
import zipfile
import zlib
from typing import Optional, Tuple

import numpy as np

from mmwsss.utils import InvalidInputError
from mmwsss.utils.atomic_io import atomic_write
from .checks import require_file

RERUN_CAMS = ('Delete it and re-run stage 2 (`python tools/infer_cams.py '
              'CONFIG CHECKPOINT --out-dir DIR`), which regenerates missing '
              'files.')


def save_cams(path: str, cams: np.ndarray, keys: np.ndarray) -> None:
    """Atomically write a CAM file: compressed npz with
    ``keys`` int64 (K,) and ``cams`` float16 (K, H, W) in [0, 1]."""
    keys = np.asarray(keys, np.int64).reshape(-1)
    cams = np.asarray(cams)
    if cams.ndim != 3 or cams.shape[0] != keys.size:
        raise ValueError(f'cams of shape {cams.shape} do not match '
                         f'{keys.size} keys')
    buf = io.BytesIO()
    np.savez_compressed(
        buf, keys=keys, cams=np.clip(cams, 0, 1).astype(np.float16))
    atomic_write(path, buf.getvalue())


def load_cams(path: str,
              image_size: Optional[Tuple[int, int]] = None,
              image_path: str = 'the image') -> Tuple[np.ndarray, np.ndarray]:
    """Read and validate a CAM file.

    Args:
        path (str): ``<cam dir>/<id>.npz``.
        image_size (tuple, optional): (H, W) the CAMs must have.
        image_path (str): the image, for the size-mismatch message.

    Returns:
        tuple: ``keys`` int64 (K,) and ``cams`` float32 (K, H, W).
    """
    require_file(
        path, 'CAM file', 'Run stage 2 first (`python tools/infer_cams.py '
        'CONFIG CHECKPOINT --out-dir DIR`) with the same split.')
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, cams = data['keys'], data['cams']
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile,
            zlib.error) as e:
        raise InvalidInputError(
            f'CAM file {path} is corrupt or truncated ({type(e).__name__}: '
            f'{e}). {RERUN_CAMS}') from e
    if (keys.ndim != 1 or keys.dtype.kind not in 'iu' or cams.ndim != 3
            or cams.shape[0] != keys.size or cams.dtype.kind != 'f'):
        raise InvalidInputError(
            f'CAM file {path} holds keys {keys.dtype}{keys.shape} and cams '
            f'{cams.dtype}{cams.shape}, not keys int (K,) and cams float '
            f'(K, H, W). {RERUN_CAMS}')
    cams = cams.astype(np.float32)
    if not (np.isfinite(cams).all() and cams.min(initial=0) >= 0
            and cams.max(initial=0) <= 1):
        raise InvalidInputError(
            f'CAM file {path} holds values outside [0, 1]. {RERUN_CAMS}')
    if image_size is not None and tuple(cams.shape[1:]) != tuple(image_size):
        raise InvalidInputError(
            f'CAM file {path} is {cams.shape[2]}x{cams.shape[1]} (WxH) but '
            f'{image_path} is {image_size[1]}x{image_size[0]}: the CAMs come '
            'from other images or were resized. Delete the CAM folder and '
            're-run stage 2 on the same dataset.')
    return keys.astype(np.int64), cams


def cam_file_ok(path: str) -> bool:
    """Whether ``path`` exists and passes :func:`load_cams`."""
    if not osp.isfile(path):
        return False
    try:
        load_cams(path)
    except InvalidInputError:
        return False
    return True
