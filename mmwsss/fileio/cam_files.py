"""CAM files: validated reads and atomic writes of ``<id>.npz`` (keys and
float16 CAMs in [0, 1], at full resolution or at a stride)."""
import io
import math
import os.path as osp
import zipfile
import zlib
from typing import Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from mmwsss.utils import InvalidInputError
from mmwsss.utils.atomic_io import atomic_write
from .checks import require_file

RERUN_CAMS = ('Delete it and re-run stage 2 (`python tools/infer_cams.py '
              'CONFIG CHECKPOINT --out-dir DIR`), which regenerates missing '
              'files.')


def strided_size(height: int, width: int, stride: int) -> Tuple[int, int]:
    """``(ceil(H / s), ceil(W / s))``: the size of CAMs stored at stride s."""
    return math.ceil(height / stride), math.ceil(width / stride)


def _resize(cams: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Bilinear resize (align_corners=False, no antialiasing) of (K, h, w)
    float maps to ``size``, float32."""
    cams = np.asarray(cams, np.float32)
    if cams.shape[0] == 0:  # interpolate rejects zero channels
        return np.zeros((0, *size), np.float32)
    return F.interpolate(
        torch.from_numpy(cams)[None], size=size, mode='bilinear',
        align_corners=False)[0].numpy()


def save_cams(path: str,
              cams: np.ndarray,
              keys: np.ndarray,
              stride: int = 1) -> None:
    """Atomically write a CAM file: compressed npz with ``keys`` int64 (K,)
    and ``cams`` float16 in [0, 1].

    With ``stride`` s > 1 the full-resolution (K, H, W) maps are stored at
    ``ceil(H/s) x ceil(W/s)``, resized bilinearly (align_corners=False, no
    antialiasing), next to ``stride`` and ``image_size`` (H, W) entries.
    Resizing a map that is itself a bilinear upsampling of the network's
    output samples that output where IRN's stride-4 CAMs do (Ahn et al.,
    CVPR 2019, arXiv:1904.05044, https://github.com/jiwoon-ahn/irn
    ``step/make_cam.py``: the network's maps resized straight to the
    stride-4 size), and it is the downsampling of the IRN refiner's
    ``lowres_cams``. :func:`load_cams` upsamples them back.
    """
    keys = np.asarray(keys, np.int64).reshape(-1)
    cams = np.asarray(cams)
    if cams.ndim != 3 or cams.shape[0] != keys.size:
        raise ValueError(f'cams of shape {cams.shape} do not match '
                         f'{keys.size} keys')
    if not isinstance(stride, int) or stride < 1:
        raise ValueError(f'stride must be an integer >= 1, got {stride!r}')
    extra = {}
    if stride > 1:
        extra = dict(
            stride=np.int64(stride),
            image_size=np.asarray(cams.shape[1:], np.int64))
        cams = _resize(cams, strided_size(*cams.shape[1:], stride))
    buf = io.BytesIO()
    np.savez_compressed(
        buf, keys=keys, cams=np.clip(cams, 0, 1).astype(np.float16), **extra)
    atomic_write(path, buf.getvalue())


def _read_cam_file(path: str) -> Tuple[np.ndarray, np.ndarray, tuple]:
    """Validated ``keys``, stored ``cams`` and the full (H, W) size."""
    require_file(
        path, 'CAM file', 'Run stage 2 first (`python tools/infer_cams.py '
        'CONFIG CHECKPOINT --out-dir DIR`) with the same split.')
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, cams = data['keys'], data['cams']
            stride = int(data['stride']) if 'stride' in data else 1
            size = tuple(int(v) for v in data['image_size']) \
                if 'image_size' in data else tuple(cams.shape[1:])
    except (OSError, ValueError, TypeError, EOFError, KeyError,
            zipfile.BadZipFile, zlib.error) as e:
        raise InvalidInputError(
            f'CAM file {path} is corrupt or truncated ({type(e).__name__}: '
            f'{e}). {RERUN_CAMS}') from e
    if (keys.ndim != 1 or keys.dtype.kind not in 'iu' or cams.ndim != 3
            or cams.shape[0] != keys.size or cams.dtype.kind != 'f'):
        raise InvalidInputError(
            f'CAM file {path} holds keys {keys.dtype}{keys.shape} and cams '
            f'{cams.dtype}{cams.shape}, not keys int (K,) and cams float '
            f'(K, H, W). {RERUN_CAMS}')
    if (stride < 1 or len(size) != 2 or min(size) < 1
            or tuple(cams.shape[1:]) != strided_size(*size, stride)):
        raise InvalidInputError(
            f'CAM file {path} holds {cams.shape[2]}x{cams.shape[1]} (WxH) '
            f'maps, not those of a {size} image at stride {stride}. '
            f'{RERUN_CAMS}')
    if not (np.isfinite(cams).all() and cams.min(initial=0) >= 0
            and cams.max(initial=0) <= 1):
        raise InvalidInputError(
            f'CAM file {path} holds values outside [0, 1]. {RERUN_CAMS}')
    return keys.astype(np.int64), cams, size


def load_cams(path: str,
              image_size: Optional[Tuple[int, int]] = None,
              image_path: str = 'the image') -> Tuple[np.ndarray, np.ndarray]:
    """Read and validate a CAM file; maps stored at a stride are upsampled
    bilinearly (align_corners=False) to the image size.

    Args:
        path (str): ``<cam dir>/<id>.npz``.
        image_size (tuple, optional): (H, W) the CAMs must have.
        image_path (str): the image, for the size-mismatch message.

    Returns:
        tuple: ``keys`` int64 (K,) and ``cams`` float32 (K, H, W).
    """
    keys, cams, size = _read_cam_file(path)
    if image_size is not None and size != tuple(image_size):
        raise InvalidInputError(
            f'CAM file {path} is {size[1]}x{size[0]} (WxH) but '
            f'{image_path} is {image_size[1]}x{image_size[0]}: the CAMs come '
            'from other images or were resized. Delete the CAM folder and '
            're-run stage 2 on the same dataset.')
    if tuple(cams.shape[1:]) != size:
        return keys, _resize(cams, size)
    return keys, cams.astype(np.float32)


def cam_file_ok(path: str) -> bool:
    """Whether ``path`` exists and passes :func:`load_cams`."""
    if not osp.isfile(path):
        return False
    try:
        _read_cam_file(path)
    except InvalidInputError:
        return False
    return True
