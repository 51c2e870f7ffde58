"""A thin wrapper of pydensecrf (fully connected CRF, Krähenbühl & Koltun
2011). ``pydensecrf`` is imported inside the function only."""
import numpy as np


def dense_crf(image: np.ndarray,
              probs: np.ndarray,
              n_iter: int = 10,
              gaussian_sxy: float = 3,
              gaussian_compat: float = 3,
              bilateral_sxy: float = 80,
              bilateral_srgb: float = 13,
              bilateral_compat: float = 10,
              eps: float = 1e-5) -> np.ndarray:
    """Mean-field inference of a dense CRF.

    Unary ψ_u(l) = −log(clip(P_l, eps, 1)) (pydensecrf's
    ``unary_from_softmax``); pairwise Potts terms
    w_g·exp(−|Δp|²/2θ_γ²) + w_b·exp(−|Δp|²/2θ_α² − |ΔI|²/2θ_β²) with
    θ_γ = ``gaussian_sxy``, w_g = ``gaussian_compat``, θ_α =
    ``bilateral_sxy``, θ_β = ``bilateral_srgb``, w_b = ``bilateral_compat``.
    Defaults: the dense-CRF settings of the official AEFT/PSA code
    (github.com/KAIST-vilab/AEFT, github.com/jiwoon-ahn/psa).

    Args:
        image (np.ndarray): (H, W, 3) uint8 RGB image.
        probs (np.ndarray): (L, H, W) label scores in (0, 1] (need not sum
            to 1).
        n_iter (int): mean-field iterations. Default: 10.
        gaussian_sxy, gaussian_compat, bilateral_sxy, bilateral_srgb,
        bilateral_compat (float): kernel widths and weights.
        eps (float): lower clip of the scores. Default: 1e-5.

    Returns:
        np.ndarray: float32 (L, H, W) posterior marginals Q.
    """
    num_labels, height, width = probs.shape
    if image.shape != (height, width, 3):
        raise ValueError(f'image of shape {image.shape} does not match '
                         f'scores of shape {probs.shape}')
    unary = -np.log(np.clip(probs, eps, 1.0, dtype=np.float32))
    return _mean_field(image, unary.reshape(num_labels, -1), n_iter,
                       gaussian_sxy, gaussian_compat, bilateral_sxy,
                       bilateral_srgb, bilateral_compat)


def dense_crf_labels(image: np.ndarray,
                     labels: np.ndarray,
                     num_labels: int,
                     gt_prob: float = 0.7,
                     n_iter: int = 10,
                     gaussian_sxy: float = 3,
                     gaussian_compat: float = 3,
                     bilateral_sxy: float = 50,
                     bilateral_srgb: float = 5,
                     bilateral_compat: float = 10) -> np.ndarray:
    """Mean-field inference of a dense CRF whose unary trusts a hard label
    map (IRN's ``crf_inference_label``, https://github.com/jiwoon-ahn/irn
    ``misc/imutils.py``; Ahn, Cho and Kwak, CVPR 2019, arXiv:1904.05044).

    Unary (pydensecrf's ``unary_from_labels(..., zero_unsure=False)``, label
    0 is a label like any other):

        ψ_u(l) = −log(gt_prob)                      if l = labels(u)
        ψ_u(l) = −log((1 − gt_prob) / (L − 1))      otherwise

    pairwise Potts kernels as in :func:`dense_crf`. Defaults: IRN's (and
    RIB's) — Gaussian sxy 3 compat 3, bilateral sxy 50 srgb 5 compat 10,
    10 iterations.

    Args:
        image (np.ndarray): (H, W, 3) uint8 RGB image.
        labels (np.ndarray): (H, W) integer labels in 0 ... L − 1.
        num_labels (int): L.
        gt_prob (float): trust in the given label, in (0, 1). Default: 0.7.
        n_iter (int): mean-field iterations. Default: 10.
        gaussian_sxy, gaussian_compat, bilateral_sxy, bilateral_srgb,
        bilateral_compat (float): kernel widths and weights.

    Returns:
        np.ndarray: float32 (L, H, W) posterior marginals Q (all ones when
        L = 1, where pydensecrf's unary is undefined).
    """
    labels = np.asarray(labels)
    if labels.ndim != 2 or image.shape != (*labels.shape, 3):
        raise ValueError(f'image of shape {image.shape} does not match '
                         f'labels of shape {labels.shape} (need (H, W, 3) '
                         'and (H, W))')
    if not 0 < gt_prob < 1:
        raise ValueError(f'gt_prob must be in (0, 1), got {gt_prob}')
    if num_labels < 1 or (labels.size and
                          (labels.min() < 0 or labels.max() >= num_labels)):
        raise ValueError(f'labels must lie in 0 ... num_labels - 1 = '
                         f'{num_labels - 1}')
    height, width = labels.shape
    if num_labels == 1:
        return np.ones((1, height, width), np.float32)
    from pydensecrf.utils import unary_from_labels

    unary = unary_from_labels(
        labels.astype(np.int64), num_labels, gt_prob=gt_prob,
        zero_unsure=False)
    return _mean_field(image, unary, n_iter, gaussian_sxy, gaussian_compat,
                       bilateral_sxy, bilateral_srgb, bilateral_compat)


def _mean_field(image: np.ndarray, unary: np.ndarray, n_iter: int,
                gaussian_sxy: float, gaussian_compat: float,
                bilateral_sxy: float, bilateral_srgb: float,
                bilateral_compat: float) -> np.ndarray:
    """Posteriors (L, H, W) float32 of a dense CRF with unary energies
    (L, H * W) and the Gaussian + bilateral Potts kernels."""
    import pydensecrf.densecrf as dcrf

    height, width = image.shape[:2]
    num_labels = unary.shape[0]
    crf = dcrf.DenseCRF2D(width, height, num_labels)
    crf.setUnaryEnergy(np.ascontiguousarray(unary, np.float32))
    crf.addPairwiseGaussian(sxy=gaussian_sxy, compat=gaussian_compat)
    crf.addPairwiseBilateral(
        sxy=bilateral_sxy,
        srgb=bilateral_srgb,
        rgbim=np.ascontiguousarray(image, np.uint8),
        compat=bilateral_compat)
    marginals = crf.inference(n_iter)
    return np.asarray(marginals, np.float32).reshape(num_labels, height, width)
