"""AffinityNet's pair labels from cropped CRF score maps."""
from mmcv.transforms import BaseTransform

from mmwsss.ops.pair_sets import check_pair_options, resolve_radius
from mmwsss.registry import TRANSFORMS
from .psa_affinity_labels import (
    block_mean_pool,
    crf_affinity_label,
    psa_pair_labels,
)


@TRANSFORMS.register_module()
class CRFAffinityLabel(BaseTransform):
    """Pool, combine and pair the CRF score maps of a training crop.

    AffinityNet (Ahn and Kwak, "Learning Pixel-level Semantic Affinity with
    Image-level Supervision for Weakly Supervised Semantic Segmentation",
    CVPR 2018, arXiv:1803.10464, https://github.com/jiwoon-ahn/psa
    ``voc12/data.py``). With L = [Q_lo; Q_hi] (2(K+1), H, W):

        P        = stride x stride block mean of L   (before any argmax)
        no_score = max_c P_c < 1e-5
        la, ha   = argmax of the Q_lo / Q_hi halves of P
        label    = la; 255 where la = 0; 0 where ha = 0; 255 where no_score
        bg_pos   = [f = t = 0],  fg_pos = [f = t != 0],  neg = [f != t]

    over the pairs (i, j) with f = label(i), t = label(j), both < 255
    (label values are positions in [bg, present classes]).

    Required keys: ``crf_scores``. Added keys: ``crf_pooled``, ``no_score``,
    ``aff_label`` (h, w) uint8, ``bg_pos``, ``fg_pos``, ``neg`` float32
    (|D_r|, n_src), ``aff_radius``.

    Args:
        stride (int): the network's output stride. Default: 8.
        radius (int): pair radius. Default: 5.
        radius_rule (str): 'psa', 'aeft' or 'fixed' (see
            :mod:`mmwsss.ops.pair_sets`); must match the network's.
            Default: 'psa'.
        pair_set (str): 'psa' (official) or 'full'. Default: 'psa'.
    """

    def __init__(self,
                 stride: int = 8,
                 radius: int = 5,
                 radius_rule: str = 'psa',
                 pair_set: str = 'psa') -> None:
        if stride < 1:
            raise ValueError(f'stride must be >= 1, got {stride}')
        check_pair_options(radius, radius_rule, pair_set)
        self.stride = stride
        self.radius = radius
        self.radius_rule = radius_rule
        self.pair_set = pair_set

    def transform(self, results: dict) -> dict:
        pooled = block_mean_pool(results['crf_scores'], self.stride)
        parts = crf_affinity_label(pooled)
        radius = resolve_radius(pooled.shape[1:], self.radius,
                                self.radius_rule, self.pair_set)
        bg_pos, fg_pos, neg = psa_pair_labels(parts['label'], radius,
                                              self.pair_set)
        results.update(
            crf_pooled=pooled,
            no_score=parts['no_score'],
            aff_label=parts['label'],
            bg_pos=bg_pos,
            fg_pos=fg_pos,
            neg=neg,
            aff_radius=radius)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(stride={self.stride}, '
                f'radius={self.radius}, radius_rule={self.radius_rule!r}, '
                f'pair_set={self.pair_set!r})')
