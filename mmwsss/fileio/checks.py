"""Existence checks that name the missing file or folder and the fix."""
import os.path as osp

from mmwsss.utils import MissingInputError


def require_dir(path: str, what: str, fix: str) -> None:
    """Raise :class:`MissingInputError` when folder ``path`` is missing.

    Args:
        path (str): the folder.
        what (str): what the folder is, for the message.
        fix (str): how to create it.
    """
    if not osp.isdir(path):
        raise MissingInputError(f'{what} {path} does not exist. {fix}')


def require_file(path: str, what: str, fix: str) -> None:
    """Raise :class:`MissingInputError` when file ``path`` is missing.

    Args:
        path (str): the file.
        what (str): what the file is, for the message.
        fix (str): how to create it.
    """
    if not osp.isfile(path):
        raise MissingInputError(f'{what} {path} does not exist. {fix}')
