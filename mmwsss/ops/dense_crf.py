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
    import pydensecrf.densecrf as dcrf

    num_labels, height, width = probs.shape
    if image.shape != (height, width, 3):
        raise ValueError(f'image of shape {image.shape} does not match '
                         f'scores of shape {probs.shape}')
    unary = -np.log(np.clip(probs, eps, 1.0, dtype=np.float32))
    crf = dcrf.DenseCRF2D(width, height, num_labels)
    crf.setUnaryEnergy(
        np.ascontiguousarray(unary.reshape(num_labels, -1), np.float32))
    crf.addPairwiseGaussian(sxy=gaussian_sxy, compat=gaussian_compat)
    crf.addPairwiseBilateral(
        sxy=bilateral_sxy,
        srgb=bilateral_srgb,
        rgbim=np.ascontiguousarray(image, np.uint8),
        compat=bilateral_compat)
    marginals = crf.inference(n_iter)
    return np.asarray(marginals, np.float32).reshape(num_labels, height, width)
