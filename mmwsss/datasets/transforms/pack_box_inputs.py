"""Pack an image with its boxes and background mask (BANA stage 1)."""
from typing import Sequence

import numpy as np
import torch
from mmpretrain.datasets.transforms import PackInputs

from mmwsss.registry import TRANSFORMS

BOX_META_KEYS = ('sample_idx', 'img_path', 'img_id', 'ori_shape',
                 'img_shape', 'scale_factor', 'flip', 'flip_direction')


@TRANSFORMS.register_module()
class PackBoxInputs(PackInputs):
    """mmpretrain ``PackInputs`` plus boxes, box labels and ``bg_mask``.

    Data-sample fields read by :class:`BANAClassifier`:

    - ``gt_bboxes``: float32 (n, 4) x0, y0, x1, y1 in pixels of the packed
      image (BANA's conventions, see ``BoxPadRandomCrop``);
    - ``gt_bboxes_labels``: int64 (n,) 0-based foreground labels;
    - ``bg_mask``: uint8 (H, W), 1 = definite background;
    - ``gt_label`` as ``PackInputs`` (image labels).

    Missing keys are skipped (an image without boxes packs (0, 4)).

    Args:
        box_keys (sequence[str]): extra per-box keys to pack as tensors,
            e.g. ``('gt_difficult',)``. Default: none.
        meta_keys (sequence[str]): Default: :data:`BOX_META_KEYS` (adds
            ``img_id`` to mmpretrain's defaults).
        **kwargs: other ``PackInputs`` arguments.
    """

    def __init__(self,
                 box_keys: Sequence[str] = (),
                 meta_keys: Sequence[str] = BOX_META_KEYS,
                 **kwargs) -> None:
        super().__init__(meta_keys=meta_keys, **kwargs)
        self.box_keys = tuple(box_keys)

    def transform(self, results: dict) -> dict:
        """Pack the image, labels, boxes and mask."""
        packed = super().transform(results)
        sample = packed['data_samples']
        if 'gt_bboxes' in results:
            boxes = np.asarray(results['gt_bboxes'], np.float32)
            sample.set_field(
                torch.from_numpy(boxes.reshape(-1, 4).copy()), 'gt_bboxes')
        if 'gt_bboxes_labels' in results:
            labels = np.asarray(results['gt_bboxes_labels'], np.int64)
            sample.set_field(
                torch.from_numpy(labels.reshape(-1).copy()),
                'gt_bboxes_labels')
        if 'bg_mask' in results:
            mask = np.ascontiguousarray(results['bg_mask'], np.uint8)
            sample.set_field(torch.from_numpy(mask), 'bg_mask')
        for key in self.box_keys:
            if key in results:
                sample.set_field(
                    torch.from_numpy(np.asarray(results[key]).copy()), key)
        return packed

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(box_keys={self.box_keys}, '
                f'meta_keys={self.meta_keys})')
