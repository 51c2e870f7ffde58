"""Reading and writing the project's files (images, label PNGs, VOC XML,
split and image-label files, CAM files): reads validate and name the fix,
writes are atomic. Imports only :mod:`mmwsss.utils`."""
from .cam_files import cam_file_ok, load_cams, save_cams
from .checks import require_dir, require_file
from .data_hints import COCO_HINT, VOC_HINT
from .id_lists import format_cls_labels, read_cls_labels, read_split
from .images import read_image_size, read_rgb
from .label_png import (
                        IGNORE_INDEX,
                        check_label_values,
                        encode_label_png,
                        labels_from_mask,
                        read_label_png,
                        save_label_png,
                        voc_palette,
)
from .npz_files import npz_loads, save_npz
from .voc_xml import parse_voc_xml

__all__ = [
    'require_dir', 'require_file', 'VOC_HINT', 'COCO_HINT', 'read_split',
    'read_cls_labels', 'format_cls_labels', 'read_rgb', 'read_image_size',
    'IGNORE_INDEX', 'voc_palette', 'read_label_png', 'check_label_values',
    'labels_from_mask', 'encode_label_png', 'save_label_png',
    'parse_voc_xml', 'save_cams', 'load_cams', 'cam_file_ok', 'save_npz',
    'npz_loads'
]
