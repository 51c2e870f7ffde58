"""Load an IRN inter-pixel relation label (IR label) PNG.

IRN: Ahn, Cho, Kwak, "Weakly Supervised Learning of Instance Segmentation
with Inter-pixel Relations", CVPR 2019, arXiv:1904.05044; official code
https://github.com/jiwoon-ahn/irn (``step/cam_to_ir_label.py`` writes the
labels, ``voc12/dataloader.VOC12SegmentationDataset`` reads them).
"""
from typing import Optional

from mmcv.transforms import BaseTransform

from mmwsss.fileio import read_label_png, require_file
from mmwsss.registry import TRANSFORMS
from mmwsss.utils.errors import InvalidInputError


@TRANSFORMS.register_module()
class LoadIRLabel(BaseTransform):
    """Read ``aff_label_path`` (uint8 PNG: 0 = background, c + 1 = class c,
    255 = unsure) into ``results['ir_label']`` (H, W) uint8.

    Required keys: ``aff_label_path`` (``AffinityLabelDataset`` with
    ``label_suffix='.png'``). Added keys: ``ir_label``.

    Args:
        num_classes (int, optional): foreground classes C; values outside
            0..C and 255 raise. None: any value is accepted. Default: None.
    """

    def __init__(self, num_classes: Optional[int] = None) -> None:
        self.num_classes = num_classes

    def transform(self, results: dict) -> dict:
        """Load the label and check it matches the image size."""
        path = results['aff_label_path']
        require_file(
            path, 'IR label',
            'Run the affinity-label stage (IRLabelMaker) that writes '
            'aff_labels/ir_label/<id>.png, or point the dataset label_dir at '
            'its output.')
        label = read_label_png(
            path, 254 if self.num_classes is None else self.num_classes)
        img = results.get('img')
        if img is not None and img.shape[:2] != label.shape:
            raise InvalidInputError(
                f'IR label {path} is {label.shape} but its image is '
                f'{img.shape[:2]}; regenerate the IR labels from these '
                'images.')
        results['ir_label'] = label
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(num_classes={self.num_classes})'
