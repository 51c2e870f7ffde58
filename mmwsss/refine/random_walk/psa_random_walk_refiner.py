"""Pseudo labels by AffinityNet's random walk (psa, AEFT, hfpl)."""
from typing import Optional

import numpy as np
import torch

from mmwsss.ops import dense_crf
from mmwsss.registry import TASK_UTILS
from ..utils import check_inputs
from .network_walk_refiner import NetworkWalkRefiner, walk_torch_dtype
from .psa_walk import psa_walk

CRF_DEFAULTS = dict(n_iter=1, image='padded', channels='all')


@TASK_UTILS.register_module()
class PSARandomWalkRefiner(NetworkWalkRefiner):
    """Refine CAMs with a trained AffinityNet (Ahn and Kwak, "Learning
    Pixel-level Semantic Affinity with Image-level Supervision for Weakly
    Supervised Semantic Segmentation", CVPR 2018, arXiv:1803.10464;
    https://github.com/jiwoon-ahn/psa ``infer_aff.py``; AEFT's and hfpl's
    copies, https://github.com/KAIST-vilab/AEFT,
    https://github.com/arvijj/hfpl).

    Per image: affinities a_ij on the stride-8 grid of the padded image
    (``AffinityNet.predict_affinity``), then :func:`psa_walk`:
    S_0 = (1 - max_c CAM_c)^α, x = avgpool_8(S), r = x T^(2^logt) with
    T = W diag(d)^-1, W = A^β (sparse steps), bilinear upsampling and
    argmax. AEFT adds a dense CRF after the walk (``crf``): one mean-field
    iteration with unary -log(clip(R, 1e-5, 1)) over all C + 1 channels on
    the de-normalised padded image truncated to uint8 (the official code's
    float32 round trip); ``crf.image='original'`` uses the image itself and
    ``crf.channels='present'`` only [bg; present classes].

    Settings per method: psa α 16 / β 8 / logt 8, no CRF; AEFT α 19 / β 8
    / logt 6 with ``crf=dict(n_iter=1)``; hfpl α 6 / β 8 / logt 6.

    Args:
        alpha (float): background power α. Default: 16.
        beta (float): β of W = A^β. Default: 8.
        logt (int): 2^logt walk steps. Default: 8.
        crf (dict, optional): post-walk CRF: ``n_iter`` (1), ``image``
            ('padded' | 'original'), ``channels`` ('all' | 'present'), and
            :func:`mmwsss.ops.dense_crf` kernel settings. Default: None.
        num_classes (int, optional): foreground classes (for
            ``crf.channels='all'``).
        walk_dtype (str): 'float64' (default) or 'float32'.
        config, checkpoint, cache_dir, device: see
            :class:`NetworkWalkRefiner`.

    Call: ``refiner(image (H, W, 3) uint8 RGB, cams (K, H, W), keys (K,))``
    → uint8 (H, W) label map (0 background, class + 1).
    """

    def __init__(self,
                 alpha: float = 16.0,
                 beta: float = 8.0,
                 logt: int = 8,
                 crf: Optional[dict] = None,
                 num_classes: Optional[int] = None,
                 walk_dtype: str = 'float64',
                 config: Optional[str] = None,
                 checkpoint: Optional[str] = None,
                 cache_dir: Optional[str] = None,
                 device: str = 'cpu') -> None:
        super().__init__(config, checkpoint, cache_dir, device)
        if alpha <= 0 or beta <= 0 or logt < 0:
            raise ValueError('alpha and beta must be > 0 and logt >= 0')
        self.alpha, self.beta, self.logt = float(alpha), float(beta), logt
        self.crf = None if crf is None else dict(CRF_DEFAULTS, **crf)
        if self.crf is not None:
            if self.crf['image'] not in ('padded', 'original') or \
                    self.crf['channels'] not in ('all', 'present'):
                raise ValueError(
                    "crf.image must be 'padded' or 'original' and "
                    "crf.channels 'all' or 'present', got "
                    f"{self.crf['image']!r}, {self.crf['channels']!r}")
            if self.crf['channels'] == 'all' and not num_classes:
                raise ValueError(
                    "crf.channels='all' needs num_classes (e.g. 20 on VOC)")
        self.num_classes = num_classes
        self.walk_dtype = walk_torch_dtype(walk_dtype)

    def affinities(self, image: np.ndarray) -> dict:
        """``affinity`` (|D_r|, n_src) float32, ``radius`` and, for the
        padded-image CRF, ``img8`` (Hp, Wp, 3) uint8 (cached)."""

        def compute() -> dict:
            out = self.network.predict_affinity(image)
            arrays = dict(
                affinity=out['affinity'].float().cpu().numpy(),
                radius=np.asarray(out['radius']),
                pair_set=np.asarray(out.get('pair_set', 'psa')))
            if self.crf is not None and self.crf['image'] == 'padded':
                arrays['img8'] = self._img8(out['inputs'])
            return arrays

        return self.cached(image, compute)

    def _img8(self, inputs: torch.Tensor) -> np.ndarray:
        """trunc(clip(n std + mean, 0, 255)) of the normalised padded
        image, in float32 as the official code computes it."""
        pre = self.network.data_preprocessor
        mean = pre.mean.float().cpu().reshape(3, 1, 1)
        std = pre.std.float().cpu().reshape(3, 1, 1)
        img = (inputs[0].float().cpu() * std + mean).clamp(0, 255)
        return img.permute(1, 2, 0).numpy().astype(np.uint8)

    def __call__(self, image: np.ndarray, cams: np.ndarray,
                 keys: np.ndarray) -> np.ndarray:
        cams, keys = check_inputs(image, cams, keys)
        net = self.affinities(image)
        walk = psa_walk(cams, keys, net['affinity'], int(net['radius']),
                        self.alpha, self.beta, self.logt,
                        dtype=self.walk_dtype,
                        pair_set=str(net['pair_set']))
        if self.crf is None:
            return walk['label']
        return self._crf_label(image, walk['upsampled'], keys, net)

    def _crf_label(self, image: np.ndarray, upsampled: torch.Tensor,
                   keys: np.ndarray, net: dict) -> np.ndarray:
        """AEFT's post-walk CRF, then argmax."""
        height, width = image.shape[:2]
        scores = upsampled.float().numpy()
        lut = np.concatenate([[0], keys + 1]).astype(np.uint8)
        if self.crf['channels'] == 'all':
            full = np.zeros((self.num_classes + 1, *scores.shape[1:]),
                            np.float32)
            full[lut] = scores
            scores, lut = full, np.arange(self.num_classes + 1,
                                          dtype=np.uint8)
        if self.crf['image'] == 'padded':
            rgb = net['img8']
        else:
            rgb, scores = image, scores[:, :height, :width]
        kernels = {
            k: v
            for k, v in self.crf.items() if k not in ('image', 'channels')
        }
        posterior = dense_crf(rgb, scores, **kernels)
        return lut[posterior[:, :height, :width].argmax(0)]

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(alpha={self.alpha}, beta={self.beta}'
                f', logt={self.logt}, crf={self.crf})')
