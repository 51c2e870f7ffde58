"""Pseudo labels from CAMs refined by a dense CRF on the RGB image."""
from typing import Optional

import numpy as np

from mmwsss.ops import dense_crf
from mmwsss.registry import TASK_UTILS
from .utils import check_inputs


@TASK_UTILS.register_module()
class DenseCRFRefiner:
    """Dense-CRF refinement of CAMs (as github.com/KAIST-vilab/AEFT and
    github.com/jiwoon-ahn/psa).

    Scores Q = [bg; CAM_k1; ...; CAM_kK] with the background score

    - ``bg_mode='power'``: bg = (1 − max_k CAM_k)^α, α = ``bg_power``;
    - ``bg_mode='threshold'``: bg = t (constant, ``bg_threshold``),

    not renormalised unless ``normalize`` (Q / Σ_l Q_l). The CRF
    (:func:`~mmwsss.ops.dense_crf`: unary −log Q, Gaussian
    sxy=3 compat=3, bilateral sxy=80 srgb=13 compat=10, 10 iterations)
    gives posteriors; label = argmax (0 → background, k → key + 1), and
    with ``min_confidence`` pixels whose top posterior is below it get 255.

    α = 1 (default, hfpl's low α) makes a pixel foreground where roughly
    max CAM > 0.5; larger α shrinks the background (SEAM α = 4; AEFT builds
    affinity labels from α_low = 2 and α_high = 21). Choose α so that the
    crossover (1 − m)^α = m brackets the best threshold of ``CAMMetric``.

    Args:
        bg_mode (str): 'power' or 'threshold'. Default: 'power'.
        bg_power (float): α. Default: 1.0.
        bg_threshold (float): t for ``bg_mode='threshold'``. Default: 0.25.
        normalize (bool): divide Q by its sum over labels. Default: False.
        n_iter (int): mean-field iterations. Default: 10.
        gaussian_sxy (float): Default: 3.
        gaussian_compat (float): Default: 3.
        bilateral_sxy (float): Default: 80.
        bilateral_srgb (float): Default: 13.
        bilateral_compat (float): Default: 10.
        min_confidence (float, optional): posterior below which a pixel is
            ignored (255). Default: None.
        eps (float): lower clip of Q before the log. Default: 1e-5.
        ignore_index (int): the ignore value. Default: 255.

    Call: ``refiner(image (H, W, 3) uint8 RGB, cams (K, H, W), keys (K,))``
    → uint8 (H, W) label map with 0, key + 1 and 255.
    """

    BG_MODES = ('power', 'threshold')

    def __init__(self,
                 bg_mode: str = 'power',
                 bg_power: float = 1.0,
                 bg_threshold: float = 0.25,
                 normalize: bool = False,
                 n_iter: int = 10,
                 gaussian_sxy: float = 3,
                 gaussian_compat: float = 3,
                 bilateral_sxy: float = 80,
                 bilateral_srgb: float = 13,
                 bilateral_compat: float = 10,
                 min_confidence: Optional[float] = None,
                 eps: float = 1e-5,
                 ignore_index: int = 255) -> None:
        if bg_mode not in self.BG_MODES:
            raise ValueError(
                f'bg_mode must be one of {self.BG_MODES}, got {bg_mode!r}')
        if bg_power <= 0 or n_iter < 1:
            raise ValueError('bg_power must be > 0 and n_iter >= 1')
        self.bg_mode = bg_mode
        self.bg_power = float(bg_power)
        self.bg_threshold = float(bg_threshold)
        self.normalize = normalize
        self.min_confidence = min_confidence
        self.ignore_index = ignore_index
        self.crf_cfg = dict(
            n_iter=n_iter,
            gaussian_sxy=gaussian_sxy,
            gaussian_compat=gaussian_compat,
            bilateral_sxy=bilateral_sxy,
            bilateral_srgb=bilateral_srgb,
            bilateral_compat=bilateral_compat,
            eps=eps)

    def scores(self, cams: np.ndarray) -> np.ndarray:
        """Q = [bg; CAMs] (float32, (K + 1, H, W)) of K ≥ 1 CAMs."""
        if self.bg_mode == 'power':
            bg = np.power(1 - np.clip(cams.max(0), 0, 1), self.bg_power)
        else:
            bg = np.full(cams.shape[1:], self.bg_threshold)
        probs = np.concatenate([bg[None].astype(np.float32), cams])
        if self.normalize:
            probs /= np.maximum(probs.sum(0, keepdims=True), 1e-12)
        return probs

    def __call__(self, image: np.ndarray, cams: np.ndarray,
                 keys: np.ndarray) -> np.ndarray:
        cams, keys = check_inputs(image, cams, keys)
        if keys.size == 0:
            return np.zeros(cams.shape[1:], np.uint8)
        posterior = dense_crf(image, self.scores(cams), **self.crf_cfg)
        index = posterior.argmax(0)
        out = np.concatenate([[0], keys + 1])[index]
        if self.min_confidence is not None:
            out[posterior.max(0) < self.min_confidence] = self.ignore_index
        return out.astype(np.uint8)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(bg_mode={self.bg_mode!r}, '
                f'bg_power={self.bg_power}, bg_threshold={self.bg_threshold},'
                f' normalize={self.normalize}, crf={self.crf_cfg})')
