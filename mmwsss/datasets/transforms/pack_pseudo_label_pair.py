"""Pack an augmented (Y_crf, Y_ret) pair with BANA's reliable label map.

BANA: Oh, Kim, Ham, "Background-Aware Pooling and Noise-Aware Loss for
Weakly-Supervised Semantic Segmentation", CVPR 2021, arXiv:2104.00905;
official code https://github.com/cvlab-yonsei/BANA.

As in the official code, after augmentation the loader forms
``mask_fin`` = Y_crf where Y_crf == Y_ret and 255 elsewhere; padding (255 in
both) is therefore "reliable but ignored".
"""
from typing import Union

import numpy as np
import torch
from mmengine.structures import PixelData
from mmseg.datasets.transforms import PackSegInputs

from mmwsss.registry import TRANSFORMS
from .load_pseudo_label_pair import RET_KEY

ArrayLike = Union[np.ndarray, torch.Tensor]


def reliable_label(y_crf: ArrayLike,
                   y_ret: ArrayLike,
                   ignore_index: int = 255) -> ArrayLike:
    """``mask_fin``: Y_crf where Y_crf == Y_ret, ``ignore_index`` elsewhere.

    Args:
        y_crf, y_ret (np.ndarray | Tensor): label maps of one shape.
        ignore_index (int): value outside the reliable region. Default: 255.

    Returns:
        np.ndarray | Tensor: same type, shape and dtype as ``y_crf``.
    """
    if y_crf.shape != y_ret.shape:
        raise ValueError(f'Y_crf {tuple(y_crf.shape)} and Y_ret '
                         f'{tuple(y_ret.shape)} differ in shape')
    if isinstance(y_crf, torch.Tensor):
        return torch.where(y_crf == y_ret, y_crf,
                           torch.full_like(y_crf, ignore_index))
    return np.where(y_crf == y_ret, y_crf,
                    np.asarray(ignore_index, y_crf.dtype)).astype(y_crf.dtype)


@TRANSFORMS.register_module()
class PackPseudoLabelPair(PackSegInputs):
    """mmseg ``PackSegInputs`` plus ``mask_fin`` from the augmented pair.

    ``gt_sem_seg`` = Y_crf (as ``PackSegInputs``) and ``gt_sem_seg_reliable``
    = ``mask_fin`` (int64 (1, H, W)), read by the cosine heads to find S
    (``mask_fin != 255``). Put it last, after every geometric transform.

    Args:
        ignore_index (int): value of ``mask_fin`` outside S. Default: 255.
        key (str): data-sample field of ``mask_fin``. Default:
            ``'gt_sem_seg_reliable'``.
        **kwargs: ``PackSegInputs`` arguments (``meta_keys``).
    """

    def __init__(self,
                 ignore_index: int = 255,
                 key: str = 'gt_sem_seg_reliable',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.ignore_index = ignore_index
        self.key = key

    def transform(self, results: dict) -> dict:
        """Pack the image, Y_crf and ``mask_fin``."""
        for name in ('gt_seg_map', RET_KEY):
            if name not in results:
                raise KeyError(f'PackPseudoLabelPair needs {name}; load the '
                               'pair with LoadPseudoLabelPair.')
        packed = super().transform(results)
        fin = reliable_label(results['gt_seg_map'], results[RET_KEY],
                             self.ignore_index)
        packed['data_samples'].set_data({
            self.key:
            PixelData(data=torch.from_numpy(fin[None].astype(np.int64)))
        })
        return packed

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(ignore_index={self.ignore_index},'
                f' key={self.key!r}, meta_keys={self.meta_keys})')
