"""IRN's joint random crop of an image and its IR label.

IRN: Ahn, Cho, Kwak, "Weakly Supervised Learning of Instance Segmentation
with Inter-pixel Relations", CVPR 2019, arXiv:1904.05044; official code
https://github.com/jiwoon-ahn/irn (``misc/imutils.get_random_crop_box``,
``random_crop``).
"""
import random
from typing import Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmwsss.registry import TRANSFORMS

#: the ImageNet mean colour in 0-255, BGR order (LoadImageFromFile's), which
#: the data preprocessor maps to 0 — the official code pads with 0 after
#: normalisation
BGR_MEAN = (103.53, 116.28, 123.675)


def _axis_offsets(size: int, crop: int) -> Tuple[int, int]:
    """(container offset, image offset) along one axis: a longer side is
    cut at ``randrange(size - crop + 1)``, a shorter one is placed at
    ``randrange(crop - size + 1)`` inside the crop."""
    space = size - crop
    if space > 0:
        return 0, random.randrange(space + 1)
    return random.randrange(-space + 1), 0


@TRANSFORMS.register_module()
class IRNRandomCrop(BaseTransform):
    """Crop ``img`` and ``ir_label`` to ``crop_size`` x ``crop_size``.

    Per axis (columns drawn first, as in the official code, with Python
    ``random``): when the side L exceeds the crop c, the window starts at
    image offset o ~ randrange(L - c + 1); otherwise the whole side is
    placed at container offset o ~ randrange(c - L + 1) of the crop and the
    rest is padding. The image is padded with ``img_pad_val`` (default the
    BGR mean colour, i.e. 0 after normalisation, as IRN pads its normalised
    image with 0) and returned as float32; the label is padded with 255.

    Required keys: ``img``. Optional: ``ir_label``, ``crop_box``
    (cont_top, cont_left, img_top, img_left) to use instead of random
    offsets. Modified keys: ``img``, ``ir_label``, ``img_shape``. Added
    keys: ``crop_box``.

    Args:
        crop_size (int): side of the square crop. Default: 512.
        img_pad_val (number | sequence): image pad value per channel, in the
            image's channel order and 0-255 range. Default: ``BGR_MEAN``.
        label_pad_val (int): label pad value. Default: 255.
    """

    def __init__(self,
                 crop_size: int = 512,
                 img_pad_val: Union[float, Sequence[float]] = BGR_MEAN,
                 label_pad_val: int = 255) -> None:
        if isinstance(crop_size, bool) or not isinstance(
                crop_size, int) or crop_size < 1:
            raise ValueError(
                f'crop_size must be a positive int, got {crop_size!r}')
        self.crop_size = crop_size
        self.img_pad_val = img_pad_val
        self.label_pad_val = label_pad_val

    @cache_randomness
    def _random_box(self, height: int,
                    width: int) -> Tuple[int, int, int, int]:
        cont_left, img_left = _axis_offsets(width, self.crop_size)
        cont_top, img_top = _axis_offsets(height, self.crop_size)
        return cont_top, cont_left, img_top, img_left

    def _crop(self, arr: np.ndarray, box: Tuple[int, int, int, int],
              pad, dtype) -> np.ndarray:
        cont_top, cont_left, img_top, img_left = box
        crop = self.crop_size
        ch, cw = min(crop, arr.shape[0]), min(crop, arr.shape[1])
        out = np.empty((crop, crop) + arr.shape[2:], dtype)
        out[...] = np.asarray(pad, dtype)
        out[cont_top:cont_top + ch, cont_left:cont_left + cw] = \
            arr[img_top:img_top + ch, img_left:img_left + cw]
        return out

    def _check_box(self, box, height: int, width: int) -> tuple:
        box = tuple(int(v) for v in box)
        crop = self.crop_size
        ok = len(box) == 4 and min(box) >= 0 and (
            box[0] + min(crop, height) <= crop and
            box[1] + min(crop, width) <= crop and
            box[2] + min(crop, height) <= height and
            box[3] + min(crop, width) <= width)
        if not ok or (box[0] and box[2]) or (box[1] and box[3]):
            raise ValueError(
                f'crop_box {box} does not fit a {height}x{width} image and '
                f'a {crop} crop: give (cont_top, cont_left, img_top, '
                'img_left) with a container or an image offset per axis')
        return box

    def transform(self, results: dict) -> dict:
        """Crop the image and the label with one box."""
        img = results['img']
        height, width = img.shape[:2]
        box = results.get('crop_box')
        box = self._random_box(height, width) if box is None else \
            self._check_box(box, height, width)
        results['img'] = self._crop(img, box, self.img_pad_val, np.float32)
        if 'ir_label' in results:
            label = results['ir_label']
            if label.shape[:2] != (height, width):
                raise ValueError(
                    f'ir_label {label.shape[:2]} and img {(height, width)} '
                    'differ in size; rescale both with IRNRandomRescale')
            results['ir_label'] = self._crop(label, box, self.label_pad_val,
                                             label.dtype)
        results['img_shape'] = (self.crop_size, self.crop_size)
        results['crop_box'] = box
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'img_pad_val={self.img_pad_val}, '
                f'label_pad_val={self.label_pad_val})')
