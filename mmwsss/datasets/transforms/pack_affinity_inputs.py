"""Pack an image and its pair labels for the affinity networks."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement

from mmwsss.registry import TRANSFORMS

AFFINITY_META_KEYS = ('sample_idx', 'img_path', 'img_id', 'ori_shape',
                      'img_shape', 'flip', 'psa_crop_box', 'aff_radius')


@TRANSFORMS.register_module()
class PackAffinityInputs(BaseTransform):
    """Pack ``img`` and the pair labels ``bg_pos``, ``fg_pos``, ``neg``.

    Used by AffinityNet (Ahn and Kwak, CVPR 2018, arXiv:1803.10464,
    https://github.com/jiwoon-ahn/psa) and IRN (Ahn, Cho and Kwak, CVPR 2019,
    arXiv:1904.05044, https://github.com/jiwoon-ahn/irn).

    ``inputs``: ``img`` (H, W, C) as a (C, H, W) tensor of the same dtype
    (uint8 images are normalised later by the data preprocessor; float32
    images normalised in the pipeline are kept as they are).
    ``data_samples``: a :class:`mmengine.structures.BaseDataElement` with
    tensor fields ``bg_pos``, ``fg_pos``, ``neg`` (float32 (n_dirs, n_src),
    the ones present) and the ``meta_keys`` present as metainfo.

    Args:
        label_keys (Sequence[str]): Default: ('bg_pos', 'fg_pos', 'neg').
        meta_keys (Sequence[str]): Default: :data:`AFFINITY_META_KEYS`.
    """

    def __init__(self,
                 label_keys: Sequence[str] = ('bg_pos', 'fg_pos', 'neg'),
                 meta_keys: Sequence[str] = AFFINITY_META_KEYS) -> None:
        self.label_keys = tuple(label_keys)
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        img = np.asarray(results['img'])
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0,
                                                                     1)))
        sample = BaseDataElement(metainfo={
            key: results[key]
            for key in self.meta_keys if key in results
        })
        for key in self.label_keys:
            if key in results:
                label = np.ascontiguousarray(results[key], np.float32)
                sample.set_field(torch.from_numpy(label), key)
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(label_keys={self.label_keys}, '
                f'meta_keys={self.meta_keys})')
