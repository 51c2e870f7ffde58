"""Load BANA's two pseudo labels, Y_crf and Y_ret, as one pair.

BANA: Oh, Kim, Ham, "Background-Aware Pooling and Noise-Aware Loss for
Weakly-Supervised Semantic Segmentation", CVPR 2021, arXiv:2104.00905;
official code https://github.com/cvlab-yonsei/BANA.

Y_crf (``seg_map_path``) becomes ``gt_seg_map`` and Y_ret (``ret_map_path``,
from ``PseudoLabelSegDataset(ret_dir=...)``) becomes ``gt_seg_map_ret``; both
are listed in ``seg_fields``, so mmseg's ``RandomResize`` / ``Resize``
(nearest), ``RandomCrop`` and ``RandomFlip`` transform them identically.
"""
from mmseg.datasets.transforms import LoadAnnotations

from mmwsss.registry import TRANSFORMS

RET_KEY = 'gt_seg_map_ret'


@TRANSFORMS.register_module()
class LoadPseudoLabelPair(LoadAnnotations):
    """mmseg ``LoadAnnotations`` for Y_crf, plus Y_ret decoded the same way.

    Required keys: ``seg_map_path``, ``ret_map_path``,
    ``reduce_zero_label``, ``seg_fields``. Added keys: ``gt_seg_map``
    (Y_crf), ``gt_seg_map_ret`` (Y_ret), both uint8 (H, W).

    Args:
        **kwargs: mmseg ``LoadAnnotations`` arguments (``imdecode_backend``,
            ``backend_args``).
    """

    def transform(self, results: dict) -> dict:
        """Load Y_crf and Y_ret."""
        if 'ret_map_path' not in results:
            raise KeyError(
                'LoadPseudoLabelPair needs ret_map_path (Y_ret): build the '
                'dataset with PseudoLabelSegDataset(ret_dir=...).')
        results = super().transform(results)
        ret = dict(
            seg_map_path=results['ret_map_path'],
            reduce_zero_label=results['reduce_zero_label'],
            label_map=results.get('label_map'),
            seg_fields=[])
        self._load_seg_map(ret)
        if ret['gt_seg_map'].shape != results['gt_seg_map'].shape:
            raise ValueError(
                f'Y_ret {results["ret_map_path"]} has shape '
                f'{ret["gt_seg_map"].shape} but Y_crf '
                f'{results["seg_map_path"]} has '
                f'{results["gt_seg_map"].shape}; regenerate the pseudo '
                'labels.')
        results[RET_KEY] = ret['gt_seg_map']
        results['seg_fields'].append(RET_KEY)
        return results
