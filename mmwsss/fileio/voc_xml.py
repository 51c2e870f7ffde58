"""PASCAL VOC annotation XML: image size and object boxes."""
import xml.etree.ElementTree as ET
from typing import Mapping

from mmwsss.utils import InvalidInputError
from .checks import require_file
from .data_hints import VOC_HINT


def _xml_number(node: ET.Element, tag: str, path: str) -> float:
    child = node.find(tag)
    try:
        return float(child.text)
    except (AttributeError, TypeError, ValueError):
        raise InvalidInputError(
            f'Annotation {path}: <{node.tag}> has no numeric <{tag}>. '
            'Re-extract the VOC Annotations folder.') from None


def parse_voc_xml(path: str, class_to_idx: Mapping[str, int]) -> dict:
    """Parse and validate a VOC annotation XML.

    Boxes are taken as written (VOC's 1-based integers, no -1 shift); a box
    must satisfy ``0 <= x1 < x2 <= W`` and ``0 <= y1 < y2 <= H``.

    Args:
        path (str): the XML file.
        class_to_idx (Mapping[str, int]): class name -> 0-based index.

    Returns:
        dict: ``width``, ``height`` (int) and ``objects``, a list of dicts
        with ``name``, ``label``, ``bbox`` (x1, y1, x2, y2 floats),
        ``difficult`` and ``truncated`` (bool).
    """
    require_file(path, 'Annotation XML', VOC_HINT)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise InvalidInputError(
            f'Annotation {path} is not valid XML ({e}). Re-extract the VOC '
            'Annotations folder.') from e
    size = root.find('size')
    if size is None:
        raise InvalidInputError(
            f'Annotation {path} has no <size>. Re-extract the VOC '
            'Annotations folder.')
    width = int(_xml_number(size, 'width', path))
    height = int(_xml_number(size, 'height', path))
    objects = []
    for i, obj in enumerate(root.findall('object')):
        name = (obj.findtext('name') or '').strip()
        if name not in class_to_idx:
            raise InvalidInputError(
                f'Annotation {path}: object {i} has class {name!r}, which is '
                f'not one of the dataset classes {tuple(class_to_idx)}. Set '
                '`metainfo=dict(classes=...)` to the classes of the data.')
        box = obj.find('bndbox')
        if box is None:
            raise InvalidInputError(
                f'Annotation {path}: object {i} ({name}) has no <bndbox>. '
                'Fix or remove the object.')
        x1, y1, x2, y2 = (
            _xml_number(box, t, path)
            for t in ('xmin', 'ymin', 'xmax', 'ymax'))
        if not (0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height):
            raise InvalidInputError(
                f'Annotation {path}: object {i} ({name}) has box '
                f'({x1:g}, {y1:g}, {x2:g}, {y2:g}) outside the '
                f'{width}x{height} image or empty. Fix or remove the '
                'object.')
        objects.append(
            dict(
                name=name,
                label=class_to_idx[name],
                bbox=(x1, y1, x2, y2),
                difficult=obj.findtext('difficult', '0').strip() == '1',
                truncated=obj.findtext('truncated', '0').strip() == '1'))
    return dict(width=width, height=height, objects=objects)
