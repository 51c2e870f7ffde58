"""AffinityNet's joint crop of the image and its CRF score maps."""
from typing import Sequence, Union

from mmcv.transforms import BaseTransform

from mmwsss.registry import TRANSFORMS
from .psa_affinity_labels import (
    as_size,
    check_crop_box,
    crop_to_container,
    psa_crop_box,
)


@TRANSFORMS.register_module()
class PSARandomCrop(BaseTransform):
    """psa's random crop into a fixed-size container.

    AffinityNet (Ahn and Kwak, CVPR 2018, arXiv:1803.10464,
    https://github.com/jiwoon-ahn/psa ``tool/imutils.RandomCrop``). Per axis,
    for a side of length L and a crop of length S: if L > S the image offset
    is randrange(L - S + 1) and the container offset 0, else the container
    offset is randrange(S - L + 1) and the image offset 0; the column offsets
    are drawn before the row offsets, with Python ``random``. The image
    (still 0-255, before normalisation) is padded with ``img_pad_val``
    (psa: 0, black), the score maps with 0.

    Required keys: ``img`` (H, W, C). Optional: ``crf_scores`` (C', H, W)
    and ``psa_crop_box`` (an explicit box: ``container`` (cy, cx), ``image``
    (iy, ix); used instead of drawing one, e.g. in tests). Modified keys:
    ``img``, ``crf_scores``, ``img_shape``. Added: ``psa_crop_box``.

    Args:
        crop_size (int | tuple[int, int]): Default: 448.
        img_pad_val (float): Default: 0.
    """

    def __init__(self,
                 crop_size: Union[int, Sequence[int]] = 448,
                 img_pad_val: float = 0) -> None:
        self.crop_size = as_size(crop_size, 'crop_size')
        self.img_pad_val = img_pad_val

    def transform(self, results: dict) -> dict:
        img = results['img']
        size = tuple(img.shape[:2])
        box = results.get('psa_crop_box')
        box = (psa_crop_box(size, self.crop_size) if box is None else
               check_crop_box(box, size, self.crop_size))
        results['img'] = crop_to_container(img, box, self.crop_size,
                                           self.img_pad_val)
        if 'crf_scores' in results:
            results['crf_scores'] = crop_to_container(
                results['crf_scores'], box, self.crop_size, 0,
                channels_first=True)
        results['img_shape'] = self.crop_size
        results['psa_crop_box'] = box
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'img_pad_val={self.img_pad_val})')
