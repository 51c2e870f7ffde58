"""The Gaussian-CAM experiment of the ISL/FSL supplement (S.1), as a package.

Paper: High-fidelity Pseudo-labels for Boosting Weakly-Supervised
Segmentation (Jonnarth, Zhang, Felsberg; WACV 2024; arXiv:2304.02621;
official code: github.com/arvijj/hfpl). Without training a network, the
experiment measures how well the feature similarity loss (FSL) alone pulls
a crude CAM onto the object boundary, and how that depends on the FSL's μ
and σ:

1. pick single-object images (one per class, at random) from a VOC-layout
   folder, or single objects of any image (``per_object``) — :mod:`.data`;
2. shrink image and mask to a tenth of their size (≈ 50×38 for VOC, like the
   56×56 CAM of a 448 crop): image bilinear (PIL, antialiased), mask nearest;
3. fit a Gaussian to the object's mask — mean and per-axis variance of the
   foreground pixel coordinates, unnormalised (peak 1) — and take the logits
   ``s = 2G - 1``, foreground where ``s > 0`` — :mod:`.gaussian`;
4. minimise the exact (untruncated) FSL of ``Y = sigmoid(s)`` with the image
   as guidance, with respect to ``s`` itself (Adam, lr 0.05, 400 steps) —
   :mod:`.optimise`;
5. score ``s > 0`` before and after against the object mask: J = IoU,
   F = contour F-measure with tolerance ⌈0.008·diagonal⌉, J&F = (J + F)/2,
   averaged over the samples — :mod:`.scoring`;
6. repeat 4–5 over a μ grid at σ = 5 and a σ grid at μ = 2.5, and write the
   table, CSV, JSON and plot — :mod:`.optimise`, :mod:`.reports`.

``projects/fsl_gaussian_cams/tools/fsl_gaussian_cams.py`` is the
command-line front end. Import it as ``projects.fsl_gaussian_cams.
gaussian_cams`` with the repository root on ``sys.path``.
"""
from .data import (
                   find_candidates,
                   list_ids,
                   load_sample_images,
                   object_masks,
                   prepare_samples,
                   read_classes,
                   resize_image,
                   resize_mask,
                   select_samples,
                   working_size,
)
from .gaussian import fit_gaussian, gaussian_cam, gaussian_logits
from .optimise import (
                   initial_scores,
                   optimise_fsl,
                   run_setting,
                   run_sweep,
                   sweep_settings,
)
from .reports import (
                   CSV_FIELDS,
                   csv_text,
                   json_report,
                   markdown_table,
                   plot_sweep,
                   write_reports,
)
from .sample import (
                   BOUND_TH,
                   DEFAULT_LR,
                   DEFAULT_MU,
                   DEFAULT_MUS,
                   DEFAULT_SCALE,
                   DEFAULT_SIGMA,
                   DEFAULT_SIGMAS,
                   DEFAULT_STEPS,
                   IGNORE,
                   SPLIT_ALL,
                   GaussianCamSample,
)
from .scoring import score_mask, summarise
from .synthetic import synthetic_sample

__all__ = [
    'GaussianCamSample', 'fit_gaussian', 'gaussian_cam', 'gaussian_logits',
    'score_mask', 'summarise', 'optimise_fsl', 'run_setting',
    'initial_scores', 'sweep_settings', 'run_sweep', 'working_size',
    'resize_image', 'resize_mask', 'read_classes', 'list_ids',
    'object_masks', 'find_candidates', 'select_samples',
    'load_sample_images', 'prepare_samples', 'synthetic_sample',
    'markdown_table', 'csv_text', 'plot_sweep', 'json_report',
    'write_reports', 'CSV_FIELDS', 'BOUND_TH', 'DEFAULT_LR', 'DEFAULT_MU',
    'DEFAULT_MUS', 'DEFAULT_SCALE', 'DEFAULT_SIGMA', 'DEFAULT_SIGMAS',
    'DEFAULT_STEPS', 'IGNORE', 'SPLIT_ALL'
]
