"""Optimising Gaussian CAMs with the feature similarity loss alone, and the
μ/σ sweep."""
import math
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.utils import ProgressBar

from mmwsss.models.losses.fsl_kernel import feature_similarity_loss
from .gaussian import gaussian_logits
from .sample import (
    BOUND_TH,
    DEFAULT_LR,
    DEFAULT_MU,
    DEFAULT_MUS,
    DEFAULT_SIGMA,
    DEFAULT_SIGMAS,
    DEFAULT_STEPS,
    GaussianCamSample,
)
from .scoring import score_mask, summarise


def _groups(samples: Sequence[GaussianCamSample]) -> List[List[int]]:
    """Indices of the samples grouped by working size (batched together)."""
    groups: Dict[Tuple[int, int], List[int]] = {}
    for i, sample in enumerate(samples):
        groups.setdefault(sample.gt.shape, []).append(i)
    return list(groups.values())


def optimise_fsl(logits: torch.Tensor,
                 images: torch.Tensor,
                 mu: float = DEFAULT_MU,
                 sigma: Optional[float] = DEFAULT_SIGMA,
                 steps: int = DEFAULT_STEPS,
                 lr: float = DEFAULT_LR) -> Tuple[torch.Tensor, float]:
    """Minimise the FSL directly over single-channel logits.

    The prediction map is ``Y = sigmoid(s)`` (one channel), the guidance
    image the RGB image at the same size, the FSL exact (untruncated,
    :func:`feature_similarity_loss`); Adam over ``s``. The batch loss is
    ``N`` times the FSL (which averages over the images), i.e. the sum of
    the per-image losses: Adam being elementwise, every image follows the
    same path as if it were optimised alone.

    Args:
        logits (Tensor): (N, h, w) initial logits (not modified).
        images (Tensor): (N, 3, h, w) RGB in [0, 1], same device.
        mu (float): FSL μ. Default: 2.5.
        sigma (float, optional): FSL σ in pixels, None for the constant
            weight 1/(h·w). Default: 5.0.
        steps (int): Adam steps. Default: 400.
        lr (float): Adam learning rate. Default: 0.05.

    Returns:
        tuple: the optimised logits (N, h, w), detached, and the final
        per-image mean FSL (float).
    """
    if steps < 0:
        raise ValueError(f'steps must be >= 0, got {steps}')
    s = logits.detach().clone().float()[:, None].requires_grad_(True)
    images = images.float()
    num = s.shape[0]
    optimizer = torch.optim.Adam([s], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=True)
        loss = num * feature_similarity_loss(
            torch.sigmoid(s), images, mu=mu, sigma=sigma)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        final = feature_similarity_loss(
            torch.sigmoid(s), images, mu=mu, sigma=sigma)
    return s.detach()[:, 0], float(final)


def run_setting(samples: Sequence[GaussianCamSample],
                mu: float = DEFAULT_MU,
                sigma: Optional[float] = DEFAULT_SIGMA,
                steps: int = DEFAULT_STEPS,
                lr: float = DEFAULT_LR,
                device: str = 'cpu',
                bound_th: float = BOUND_TH,
                return_logits: bool = False) -> dict:
    """Optimise every sample's Gaussian CAM for one (μ, σ) and score it.

    Samples of the same working size are optimised as one batch.

    Args:
        samples (Sequence[GaussianCamSample]): samples with images.
        mu, sigma, steps, lr: see :func:`optimise_fsl`.
        device (str): torch device. Default: ``'cpu'``.
        bound_th (float): contour tolerance. Default: 0.008.
        return_logits (bool): also return the logits (key ``logits``, a
            list of float32 (h, w) arrays). Default: False.

    Returns:
        dict: ``mu``, ``sigma``, ``steps``, ``lr``; ``J``, ``F``, ``JF``
        (means, fractions); ``per_sample``: a list of ``(J, F)``;
        ``loss``: mean final FSL over the samples.
    """
    _check_samples(samples)
    scores: List[Tuple[float, float]] = [(math.nan, math.nan)] * len(samples)
    logits_out: List[Optional[np.ndarray]] = [None] * len(samples)
    loss_sum = 0.0
    for group in _groups(samples):
        init = torch.from_numpy(
            np.stack([gaussian_logits(samples[i].gt)
                      for i in group])).float().to(device)
        images = torch.from_numpy(
            np.stack([samples[i].image for i in group])).permute(
                0, 3, 1, 2).float().to(device)
        final, loss = optimise_fsl(init, images, mu, sigma, steps, lr)
        loss_sum += loss * len(group)
        final = final.cpu().numpy()
        for k, i in enumerate(group):
            scores[i] = score_mask(final[k] > 0, samples[i].gt, bound_th)
            logits_out[i] = final[k]
    out = dict(
        mu=float(mu),
        sigma=None if sigma is None else float(sigma),
        steps=int(steps),
        lr=float(lr),
        per_sample=scores,
        loss=loss_sum / len(samples),
        **summarise(scores))
    if return_logits:
        out['logits'] = logits_out
    return out


def initial_scores(samples: Sequence[GaussianCamSample],
                   bound_th: float = BOUND_TH) -> dict:
    """J, F, J&F of the Gaussian CAMs before any optimisation."""
    scores = [
        score_mask(gaussian_logits(s.gt) > 0, s.gt, bound_th) for s in samples
    ]
    return dict(per_sample=scores, **summarise(scores))


def sweep_settings(
    mus: Sequence[float] = DEFAULT_MUS,
    sigmas: Sequence[Optional[float]] = DEFAULT_SIGMAS,
    base_mu: float = DEFAULT_MU,
    base_sigma: Optional[float] = DEFAULT_SIGMA
) -> List[Tuple[str, float, Optional[float]]]:
    """The (sweep, μ, σ) points: μ over ``mus`` at ``base_sigma``, then σ
    over ``sigmas`` at ``base_mu``. The base point (μ, σ) =
    (2.5, 5) is in both sweeps when both grids hold it."""
    return ([('mu', float(m), base_sigma) for m in mus] +
            [('sigma', base_mu, None if s is None else float(s))
             for s in sigmas])


def run_sweep(samples: Sequence[GaussianCamSample],
              mus: Sequence[float] = DEFAULT_MUS,
              sigmas: Sequence[Optional[float]] = DEFAULT_SIGMAS,
              base_mu: float = DEFAULT_MU,
              base_sigma: Optional[float] = DEFAULT_SIGMA,
              steps: int = DEFAULT_STEPS,
              lr: float = DEFAULT_LR,
              device: str = 'cpu',
              bound_th: float = BOUND_TH,
              progress: bool = True) -> dict:
    """The whole experiment: scores before, then after optimisation for
    every point of :func:`sweep_settings` (each distinct (μ, σ) once).

    Returns:
        dict: ``initial`` (:func:`initial_scores`), ``rows`` (one dict per
        sweep point: ``sweep`` ('mu' or 'sigma') plus the keys of
        :func:`run_setting`), ``base_mu``, ``base_sigma``, ``bound_th``.
    """
    _check_samples(samples)
    points = sweep_settings(mus, sigmas, base_mu, base_sigma)
    if not points:
        raise ValueError('empty sweep: give at least one mu or sigma')
    distinct = list(dict.fromkeys((m, s) for _, m, s in points))
    bar = ProgressBar(len(distinct), file=sys.stderr) if progress else None
    results = {}
    for mu, sigma in distinct:
        results[mu, sigma] = run_setting(samples, mu, sigma, steps, lr,
                                         device, bound_th)
        if bar is not None:
            bar.update()
    if bar is not None:
        sys.stderr.write('\n')
    rows = [dict(sweep=name, **results[mu, sigma])
            for name, mu, sigma in points]
    return dict(
        initial=initial_scores(samples, bound_th),
        rows=rows,
        base_mu=float(base_mu),
        base_sigma=base_sigma,
        bound_th=bound_th)


def _check_samples(samples: Sequence[GaussianCamSample]) -> None:
    if not len(samples):
        raise ValueError('no samples')
    for s in samples:
        if s.image is None:
            raise ValueError(f'sample {s.sample_id} has no image; call '
                             'load_sample_images() first')
        if s.image.shape[:2] != s.gt.shape:
            raise ValueError(f'sample {s.sample_id}: image {s.image.shape} '
                             f'and mask {s.gt.shape} differ in size')
