"""Test-time augmentation + DenseCRF for segmentors (stage 5 evaluation).

WSSS papers report the final segmentation three ways: single scale,
multi-scale + flip, and multi-scale + flip + DenseCRF. :class:`CRFSegTTAModel`
is mmseg's :class:`SegTTAModel` with an optional DenseCRF on the merged
probabilities, so one config's ``tta_model`` gives the last two columns
(``tools/test.py --tta`` with ``crf.n_iter`` 0 or > 0).
"""
from typing import List, Optional

import mmcv
import torch
from mmengine.structures import PixelData
from mmseg.models.segmentors import SegTTAModel
from mmseg.structures import SegDataSample
from mmseg.utils import SampleList

from mmwsss.ops import dense_crf
from mmwsss.registry import MODELS
from mmwsss.utils import InvalidInputError

# BANA's test-time CRF for DeepLab-V2 (github.com/cvlab-yonsei/BANA:
# (w_bi, θ_α, θ_β, w_g, θ_γ) = (4, 67, 3, 3, 1), 10 iterations), which is also
# DeepLab-V2's own VOC setting (kazuto1011/deeplab-pytorch configs/voc12.yaml).
BANA_DEEPLABV2_CRF = dict(
    n_iter=10,
    gaussian_sxy=1,
    gaussian_compat=3,
    bilateral_sxy=67,
    bilateral_srgb=3,
    bilateral_compat=4)


@MODELS.register_module()
class CRFSegTTAModel(SegTTAModel):
    """mmseg :class:`SegTTAModel`, optionally followed by DenseCRF.

    ``P = 1/V Σ_v softmax(logits_v)`` over the V augmented views, at the
    original image size (mmseg's merge), or with ``merge='logits'``
    ``P = softmax(1/V Σ_v logits_v)`` (BANA averages the cosine scores);
    with the CRF on,
    ``Q = DenseCRF(P, I)`` (:func:`dense_crf`) with the RGB image ``I`` read
    from ``img_path``, and the prediction is ``argmax_c Q``. With the CRF off
    it is exactly :class:`SegTTAModel`.

    Args:
        module (dict | nn.Module): the segmentor (set by ``tools/test.py
            --tta`` from the config's ``model``).
        crf (dict, optional): DenseCRF parameters, keys of
            :data:`BANA_DEEPLABV2_CRF` (missing ones take its values).
            ``None`` or ``n_iter=0`` switch the CRF off. Default: None.
            Common settings, as (w_bi, θ_α, θ_β, w_g, θ_γ), iterations:
            BANA / DeepLab-V2 (4, 67, 3, 3, 1), 10; BANA / DeepLab-V1
            LargeFOV (4, 121, 5, 3, 3), 10; ISL/FSL's ResNet-38 DeepLab
            on SEAM's code base (arvijj/hfpl) (10, 32, 13, 3, 3), 1.
        merge (str): ``'probs'`` (mmseg) or ``'logits'``. Default: 'probs'.
        **kwargs: other :class:`SegTTAModel` arguments
            (``data_preprocessor``, ``init_cfg``).
    """

    def __init__(self,
                 module,
                 crf: Optional[dict] = None,
                 merge: str = 'probs',
                 **kwargs) -> None:
        super().__init__(module=module, **kwargs)
        if merge not in ('probs', 'logits'):
            raise InvalidInputError(
                f'merge must be "probs" or "logits", got "{merge}".')
        self.merge = merge
        crf = dict(crf or dict(n_iter=0))
        unknown = set(crf) - set(BANA_DEEPLABV2_CRF)
        if unknown:
            raise InvalidInputError(
                f'Unknown DenseCRF parameters {sorted(unknown)}; expected '
                f'some of {sorted(BANA_DEEPLABV2_CRF)}.')
        self.crf = {**BANA_DEEPLABV2_CRF, **crf}
        if self.crf['n_iter'] < 0:
            raise InvalidInputError(
                f'crf.n_iter must be >= 0, got {self.crf["n_iter"]}.')
        if self.use_crf and self.module.out_channels == 1:
            raise InvalidInputError(
                'DenseCRF needs per-class scores; the segmentor has a '
                'single (sigmoid) output channel.')

    @property
    def use_crf(self) -> bool:
        """Whether DenseCRF runs after the merge (``n_iter > 0``)."""
        return self.crf['n_iter'] > 0

    def merge_preds(self, data_samples_list: List[SampleList]) -> SampleList:
        """Merge the views of each image, then refine with DenseCRF.

        Args:
            data_samples_list (list[list[SegDataSample]]): per image, the
                predictions of its views (``seg_logits`` at the original
                size, flips undone).

        Returns:
            list[SegDataSample]: one sample per image with ``pred_sem_seg``
            (and ``gt_sem_seg`` when the views carry it).
        """
        if not self.use_crf and self.merge == 'probs':
            return super().merge_preds(data_samples_list)
        merged = []
        for views in data_samples_list:
            logits = torch.stack([view.seg_logits.data for view in views])
            if self.merge == 'logits':
                probs = logits.mean(dim=0).softmax(dim=0)
            else:
                probs = logits.softmax(dim=1).mean(dim=0)
            if self.use_crf:
                image = mmcv.imread(views[0].img_path, channel_order='rgb')
                probs = torch.from_numpy(
                    dense_crf(image, probs.cpu().numpy(), **self.crf))
            pred = probs.argmax(dim=0).to(logits.device)
            sample = SegDataSample(metainfo=views[0].metainfo)
            sample.pred_sem_seg = PixelData(data=pred[None])
            if 'gt_sem_seg' in views[0]:
                sample.gt_sem_seg = views[0].gt_sem_seg
            merged.append(sample)
        return merged
