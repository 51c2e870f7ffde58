"""IRN's pair labels (bg_pos, fg_pos, neg) on the path-index pairs.

IRN: Ahn, Cho, Kwak, "Weakly Supervised Learning of Instance Segmentation
with Inter-pixel Relations", CVPR 2019, arXiv:1904.05044; official code
https://github.com/jiwoon-ahn/irn (``voc12/dataloader.
GetAffinityLabelFromIndices``, ``misc/indexing.PathIndex``).
"""
from typing import Dict, Tuple

from mmcv.transforms import BaseTransform

from mmwsss.ops import PathIndex, path_pair_labels
from mmwsss.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PathPairLabels(BaseTransform):
    """Label every (source, destination) pair of ``PathIndex(radius, grid)``
    on the reduced label y (h, w):

    with f = y[src], t = y[dst] and valid = (f < K) ∧ (t < K), K =
    ``num_classes`` (background included; 255 and padding are invalid),
    bg_pos = (f = t) ∧ valid ∧ (f = 0), fg_pos = (f = t) ∧ valid ∧ (f > 0),
    neg = (f ≠ t) ∧ valid; each float32 (n_dirs, n_src), directions in IRN's
    order grouped by path length (``mmwsss.ops.path_pair_labels``). The
    path index is built once per grid size.

    Required keys: ``key`` (the stride-4 label, e.g. after
    ``NearestDownsample``). Added keys: ``bg_pos``, ``fg_pos``, ``neg``.

    Args:
        radius (int): pair radius. Default: 10 (IRN training).
        num_classes (int): classes including background (VOC: 21; the
            official code hard-codes 21). Default: 21.
        key (str): the label map. Default: ``'ir_label'``.
    """

    def __init__(self, radius: int = 10, num_classes: int = 21,
                 key: str = 'ir_label') -> None:
        if num_classes < 2:
            raise ValueError(
                'num_classes counts the background too and must be >= 2, '
                f'got {num_classes}')
        self.radius = radius
        self.num_classes = num_classes
        self.key = key
        self._indices: Dict[Tuple[int, int], PathIndex] = {}

    def path_index(self, grid: Tuple[int, int]) -> PathIndex:
        """The (cached) ``PathIndex(radius, grid)``."""
        grid = tuple(int(s) for s in grid)
        if grid not in self._indices:
            self._indices[grid] = PathIndex(self.radius, grid)
        return self._indices[grid]

    def transform(self, results: dict) -> dict:
        """Compute the three pair-label maps."""
        label = results[self.key]
        index = self.path_index(label.shape[:2])
        results['bg_pos'], results['fg_pos'], results['neg'] = \
            path_pair_labels(label, index, self.num_classes)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(radius={self.radius}, '
                f'num_classes={self.num_classes}, key={self.key!r})')
