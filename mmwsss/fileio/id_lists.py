"""Split files (one image id per line) and image-label files
(``<id> <idx> <idx> ...``)."""
from typing import Dict, Iterable, List, Mapping

from mmwsss.utils import InvalidInputError
from .checks import require_file
from .data_hints import VOC_HINT


def read_split(path: str, fix: str = VOC_HINT) -> List[str]:
    """Read an image-id list (one id per line, blank lines skipped).

    Args:
        path (str): the split file, e.g. ``ImageSets/Segmentation/val.txt``.
        fix (str): how to create it, for the error message.

    Returns:
        list[str]: the ids in file order.
    """
    require_file(path, 'Split file', fix)
    with open(path, encoding='utf-8') as f:
        ids = [line.split()[0] for line in f if line.strip()]
    if not ids:
        raise InvalidInputError(f'Split file {path} lists no image. {fix}')
    return ids


def read_cls_labels(path: str,
                    num_classes: int,
                    fix: str = VOC_HINT) -> Dict[str, List[int]]:
    """Read an image-label file with lines ``<id> <idx> <idx> ...``.

    Args:
        path (str): the label file, e.g. ``cls_labels.txt``.
        num_classes (int): number of foreground classes.
        fix (str): how to create the file, for the error messages.

    Returns:
        dict[str, list[int]]: id -> 0-based class indices.
    """
    require_file(path, 'Image-label file', fix)
    labels = {}
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            img_id, *values = line.split()
            try:
                idx = sorted({int(v) for v in values})
            except ValueError:
                idx = [-1]
            if any(not 0 <= v < num_classes for v in idx):
                raise InvalidInputError(
                    f'Image-label file {path} line {lineno} ({line.strip()!r})'
                    f' has a class index outside 0..{num_classes - 1}. '
                    f'Regenerate the file. {fix}')
            labels[img_id] = idx
    return labels


def format_cls_labels(labels: Mapping[str, Iterable[int]]) -> str:
    """Text of an image-label file (see :func:`read_cls_labels`).

    Args:
        labels (Mapping[str, Iterable[int]]): id -> class indices.

    Returns:
        str: one line per id, ids sorted.
    """
    return ''.join(' '.join([img_id, *map(str, sorted(labels[img_id]))]) + '\n'
                   for img_id in sorted(labels))
