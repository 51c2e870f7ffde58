"""Load the two CRF score maps from which AffinityNet's labels are cut."""
import os.path as osp
import zipfile

import numpy as np
from mmcv.transforms import BaseTransform

from mmwsss.registry import TRANSFORMS
from mmwsss.utils import InvalidInputError, MissingInputError

_FIX = ('Fix: run the affinity-label stage (CRFScoreMaker) again for this '
        'image, or point label_dir at its output.')


@TRANSFORMS.register_module()
class LoadCRFScorePair(BaseTransform):
    """Read ``<id>.npz`` written by the affinity-label stage.

    AffinityNet (Ahn and Kwak, CVPR 2018, arXiv:1803.10464,
    https://github.com/jiwoon-ahn/psa) cuts its pair labels from DenseCRF
    posteriors of the CAMs at a low and a high background power. The file
    holds ``keys`` (K,) int64 (0-based classes, ascending), ``scores_lo``
    and ``scores_hi`` (K+1, H, W) float32 = posteriors [bg; classes].

    Required keys: ``aff_label_path`` (and ``img`` when loaded before, to
    check the size). Added keys: ``crf_scores`` (2(K+1), H, W) float32 =
    [scores_lo; scores_hi] and ``crf_keys`` (K,) int64.

    Args:
        path_key (str): results key of the file. Default: 'aff_label_path'.
    """

    def __init__(self, path_key: str = 'aff_label_path') -> None:
        self.path_key = path_key

    def transform(self, results: dict) -> dict:
        path = results[self.path_key]
        if not osp.isfile(path):
            raise MissingInputError(f'CRF score file {path} not found. {_FIX}')
        try:
            with np.load(path, allow_pickle=False) as data:
                keys = np.asarray(data['keys'], np.int64).reshape(-1)
                lo = np.asarray(data['scores_lo'], np.float32)
                hi = np.asarray(data['scores_hi'], np.float32)
        except (OSError, ValueError, KeyError, EOFError,
                zipfile.BadZipFile) as e:
            raise InvalidInputError(
                f'CRF score file {path} is unreadable or lacks keys / '
                f'scores_lo / scores_hi ({e}). {_FIX}') from e
        if (lo.ndim != 3 or lo.shape != hi.shape
                or lo.shape[0] != keys.size + 1):
            raise InvalidInputError(
                f'CRF score file {path}: scores_lo {lo.shape} and scores_hi '
                f'{hi.shape} must both be (K+1, H, W) with K = {keys.size} '
                f'keys. {_FIX}')
        if 'img' in results and tuple(results['img'].shape[:2]) != \
                lo.shape[1:]:
            raise InvalidInputError(
                f'CRF score file {path} is {lo.shape[1]}x{lo.shape[2]} but '
                f'the image {results.get("img_path", "")} is '
                f'{results["img"].shape[0]}x{results["img"].shape[1]}. {_FIX}')
        results['crf_scores'] = np.concatenate([lo, hi])
        results['crf_keys'] = keys
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(path_key={self.path_key!r})'
