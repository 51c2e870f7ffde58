"""Nearest-neighbour downsampling of a label map, as PIL does it.

IRN: Ahn, Cho, Kwak, "Weakly Supervised Learning of Instance Segmentation
with Inter-pixel Relations", CVPR 2019, arXiv:1904.05044; official code
https://github.com/jiwoon-ahn/irn (``voc12/dataloader.VOC12AffinityDataset``:
``imutils.pil_rescale(label, 0.25, 0)``).
"""
import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from mmwsss.registry import TRANSFORMS


def nearest_downsample(label: np.ndarray, factor: int) -> np.ndarray:
    """PIL-nearest resize of ``label`` (H, W) to (round(H/f), round(W/f)).

    Output cell (i, j) takes label[floor((i + 1/2)·H/h), floor((j + 1/2)·W/w)]
    (PIL may round an exact tie down); for H = f·h that is
    label[f·i + f//2, f·j + f//2] (f = 4: 4i + 2).
    """
    height, width = label.shape[:2]
    size = (int(np.round(height / factor)), int(np.round(width / factor)))
    if size == (height, width):
        return label
    if min(size) < 1:
        raise ValueError(
            f'nearest_downsample: a {height}x{width} label is too small for '
            f'factor {factor}')
    return np.asarray(
        Image.fromarray(np.ascontiguousarray(label)).resize(
            size[::-1], Image.NEAREST))


@TRANSFORMS.register_module()
class NearestDownsample(BaseTransform):
    """Reduce ``results[key]`` by ``factor`` with PIL's nearest neighbour
    (:func:`nearest_downsample`): IRN's 512 x 512 crop label becomes the
    128 x 128 label of the stride-4 network output.

    Required keys: ``key``. Modified keys: ``key``.

    Args:
        factor (int): reduction factor. Default: 4.
        key (str): the label map. Default: ``'ir_label'``.
    """

    def __init__(self, factor: int = 4, key: str = 'ir_label') -> None:
        if isinstance(factor, bool) or not isinstance(factor,
                                                      int) or factor < 1:
            raise ValueError(
                f'factor must be a positive int, got {factor!r}')
        self.factor = factor
        self.key = key

    def transform(self, results: dict) -> dict:
        """Downsample the label."""
        results[self.key] = nearest_downsample(results[self.key], self.factor)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(factor={self.factor}, '
                f'key={self.key!r})')
