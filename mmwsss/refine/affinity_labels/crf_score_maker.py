"""AffinityNet's training targets: CRF posteriors of the CAMs at a low and
a high background power."""
from typing import Sequence

import numpy as np

from mmwsss.ops import dense_crf
from mmwsss.registry import TASK_UTILS
from ..utils import check_inputs


@TASK_UTILS.register_module()
class CRFScoreMaker:
    """The two DenseCRF score maps from which AffinityNet's pair labels are
    cut (Ahn and Kwak, "Learning Pixel-level Semantic Affinity with
    Image-level Supervision for Weakly Supervised Semantic Segmentation",
    CVPR 2018, arXiv:1803.10464; https://github.com/jiwoon-ahn/psa
    ``infer_cls.py``).

    For each background power α in ``bg_powers`` (low, high):

        v   = CAMs of the present classes (ascending class order)
        Q_α = DenseCRF([(1 - max_k v_k)^α; v])    (10 mean-field iterations)

    with the dense-CRF kernels of psa (Gaussian sxy 3 compat 3, bilateral
    sxy 80 srgb 13 compat 10, softmax unary) on the original RGB image. The
    low power gives a confident foreground, the high power a confident
    background; pixels between them are left out of the pair labels.
    Per method: psa (4, 32), AEFT (2, 21), hfpl (1, 24).

    Args:
        bg_powers (Sequence[float]): (α_low, α_high). Default: (4, 32).
        crf (dict, optional): :func:`mmwsss.ops.dense_crf` arguments to
            replace (``n_iter``, kernel widths and weights).

    Call: ``maker(image (H, W, 3) uint8 RGB, cams (K, H, W), keys (K,))`` →
    dict with ``keys`` (K,) int64 and ``scores_lo`` / ``scores_hi``
    (K + 1, H, W) float32 posteriors ``[bg; classes]``; written by the
    affinity-label stage as ``<id>.npz``.
    """

    #: file suffix of one image's output
    suffix = '.npz'

    def __init__(self,
                 bg_powers: Sequence[float] = (4, 32),
                 crf: dict = None) -> None:
        bg_powers = tuple(float(a) for a in bg_powers)
        if len(bg_powers) != 2 or not 0 < bg_powers[0] <= bg_powers[1]:
            raise ValueError('bg_powers must be (low, high) with 0 < low <= '
                             f'high, got {bg_powers}')
        self.bg_powers = bg_powers
        self.crf = dict(n_iter=10, gaussian_sxy=3, gaussian_compat=3,
                        bilateral_sxy=80, bilateral_srgb=13,
                        bilateral_compat=10)
        self.crf.update(crf or {})

    def scores(self, image: np.ndarray, cams: np.ndarray,
               alpha: float) -> np.ndarray:
        """Q_α (K + 1, H, W) float32 for one background power."""
        if cams.shape[0] == 0:
            return np.ones((1, *cams.shape[1:]), np.float32)
        bg = np.power(1 - cams.max(0), alpha, dtype=np.float32)
        return dense_crf(image, np.concatenate([bg[None], cams]),
                         **self.crf)

    def __call__(self, image: np.ndarray, cams: np.ndarray,
                 keys: np.ndarray) -> dict:
        cams, keys = check_inputs(image, cams, keys)
        order = np.argsort(keys, kind='stable')
        cams, keys = cams[order], keys[order]
        low, high = self.bg_powers
        return dict(
            keys=keys,
            scores_lo=self.scores(image, cams, low),
            scores_hi=self.scores(image, cams, high))

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(bg_powers={self.bg_powers}, '
                f'crf={self.crf})')
