"""mmcv's ``LoadImageFromFile`` with errors that name the file and the fix."""
from typing import Optional

from mmcv.transforms import LoadImageFromFile

from mmwsss.registry import TRANSFORMS
from mmwsss.utils import InvalidInputError, MissingInputError, WSSSInputError

IMAGE_FIX = (
    'Fix: replace it with the original file (re-extract or re-download the '
    'dataset) or remove its id from the split list; or, with '
    "VOCClsDataset, VOCBoxDataset or COCOClsDataset, set on_bad_sample='skip' "
    '(e.g. --cfg-options train_dataloader.dataset.on_bad_sample=skip) to '
    'drop unreadable images when the dataset loads.')


@TRANSFORMS.register_module()
class CheckedLoadImageFromFile(LoadImageFromFile):
    """mmcv ``LoadImageFromFile``: a missing file raises
    :class:`MissingInputError`, an undecodable one (mmcv asserts ``failed
    to load image``) :class:`InvalidInputError`, each naming the file and
    the fix. Raised inside a DataLoader worker, the tools still print only
    the message and exit with status 2 (``exit_on_user_error``).

    ``build_runner`` puts it in place of ``LoadImageFromFile`` in the
    dataloaders of ``tools/train.py``, ``tools/test.py`` and the training
    stages, so configs keep mmcv's name.

    OpenCV decodes a JPEG whose scan data is cut short with grey fill and a
    warning, not an error; the datasets' ``on_bad_sample='skip'`` and
    ``verify_images=True`` decode with Pillow, which refuses such files.

    Args:
        **kwargs: mmcv ``LoadImageFromFile`` arguments (``to_float32``,
            ``color_type``, ``imdecode_backend``, ``ignore_empty``,
            ``backend_args``). With ``ignore_empty=True`` a missing or
            undecodable image gives ``None`` (mmengine then draws another
            sample; mmcv still asserts on an undecodable one).
    """

    def transform(self, results: dict) -> Optional[dict]:
        path = results['img_path']
        try:
            return super().transform(results)
        except WSSSInputError:
            raise
        except Exception as e:  # mmcv asserts; cv2 / Pillow raise their own
            if self.ignore_empty:
                return None
            if isinstance(e, FileNotFoundError):
                raise MissingInputError(
                    f'Image {path} does not exist. {IMAGE_FIX}') from e
            raise InvalidInputError(
                f'Image {path} cannot be decoded ({type(e).__name__}: {e}). '
                f'{IMAGE_FIX}') from e
