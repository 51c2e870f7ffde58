"""mmseg's ``LoadAnnotations`` that checks the label map against its
image."""
import cv2
from mmseg.datasets.transforms import LoadAnnotations

from mmwsss.registry import TRANSFORMS
from mmwsss.utils import InvalidInputError, MissingInputError

LABEL_FIX = (
    'Fix: regenerate that label map at the size of its image. A pseudo '
    'label: delete it and re-run the stage that wrote it (python '
    'tools/run_pipeline.py CONFIG redoes missing labels; or '
    'tools/make_pseudo_labels.py). A ground-truth mask: re-extract it from '
    'the dataset archive. If the image is the file that changed, restore '
    'the image instead.')


@TRANSFORMS.register_module()
class CheckedLoadAnnotations(LoadAnnotations):
    """mmseg ``LoadAnnotations`` (semantic label maps) with clear errors.

    A missing label map raises :class:`MissingInputError`, an undecodable
    one :class:`InvalidInputError`, and a label map whose (H, W) differs
    from its image's ``ori_shape`` (set by ``LoadImageFromFile``, kept by
    ``Resize``) raises :class:`InvalidInputError` naming both files; mmseg
    itself would fail later with an ``IndexError`` in ``IoUMetric`` or
    crop the two differently.

    ``build_runner`` puts it in place of ``LoadAnnotations`` in the
    dataloaders of ``tools/train.py``, ``tools/test.py`` and the training
    stages, so configs keep mmseg's name.

    Args:
        **kwargs: mmseg ``LoadAnnotations`` arguments
            (``reduce_zero_label``, ``imdecode_backend``, ``backend_args``).
    """

    def _load_seg_map(self, results: dict) -> None:
        path = results['seg_map_path']
        try:
            super()._load_seg_map(results)
        except FileNotFoundError as e:
            raise MissingInputError(
                f'Label map {path} does not exist. {LABEL_FIX}') from e
        except (AttributeError, OSError, ValueError, cv2.error) as e:
            # mmcv returns None for bytes it cannot decode
            raise InvalidInputError(
                f'Label map {path} cannot be decoded. {LABEL_FIX}') from e
        label, shape = results['gt_seg_map'], results.get('ori_shape')
        if shape is not None and tuple(label.shape[:2]) != tuple(shape[:2]):
            raise InvalidInputError(
                f'Label map {path} is {label.shape[1]}x{label.shape[0]} but '
                f'its image {results.get("img_path")} is {shape[1]}x'
                f'{shape[0]}. {LABEL_FIX}')
