"""The output folder of a toy-dataset generator (toy VOC, toy COCO)."""
import io
import json
import os
import os.path as osp
from typing import Optional

import numpy as np
from mmengine.logging import print_log
from PIL import Image

from mmwsss.utils import InvalidInputError
from mmwsss.utils.atomic_io import atomic_write


class ToyOutput:
    """Deterministic, resumable writes into a generated dataset folder.

    A manifest file in the folder records the generator's arguments and
    whether the set is complete: a complete set with equal arguments is
    :attr:`up_to_date`; an interrupted one is resumed (files already there
    are kept; every file is written atomically). Different arguments into a
    non-empty folder are refused unless ``overwrite``, which rewrites every
    file (files no longer generated stay).

    Args:
        out_dir (str): output folder.
        manifest (str): manifest file name, e.g. ``'toyvoc.json'``.
        args (dict): the generator's arguments (JSON values).
        overwrite (bool): regenerate into a folder holding other data.
    """

    def __init__(self, out_dir: str, manifest: str, args: dict,
                 overwrite: bool) -> None:
        self.out_dir, self.args = out_dir, args
        self.manifest_path = osp.join(out_dir, manifest)
        try:
            with open(self.manifest_path, encoding='utf-8') as f:
                recorded = json.load(f)
        except (OSError, ValueError):
            recorded = {}
        same = recorded.get('args') == args
        self.up_to_date = bool(same and recorded.get('complete')
                               and not overwrite)
        if (not same and not overwrite and osp.isdir(out_dir)
                and os.listdir(out_dir)):
            raise InvalidInputError(
                f'{out_dir} is not empty and was not generated with these '
                f'arguments ({self.manifest_path}: {recorded.get("args")}, '
                f'asked: {args}). Pass --overwrite (overwrite=True) or '
                'choose another output folder.')
        self.resume = same and not overwrite

    @classmethod
    def start(cls, title: str, out_dir: str, manifest: str, args: dict,
              overwrite: bool) -> Optional['ToyOutput']:
        """The output, marked incomplete (:meth:`begin`), or None when
        :attr:`up_to_date` (logged: ``<title> in <out_dir> is complete and
        up to date.``); ``title`` names the set, e.g. ``'Toy VOC'``."""
        out = cls(out_dir, manifest, args, overwrite)
        if out.up_to_date:
            print_log(f'{title} in {out_dir} is complete and up to date.',
                      logger='current')
            return None
        out.begin()
        return out

    def begin(self) -> None:
        """Mark the set incomplete before the first file is written."""
        os.makedirs(self.out_dir, exist_ok=True)
        self._manifest(complete=False)

    def finish(self) -> None:
        """Mark the set complete."""
        self._manifest(complete=True)

    def write(self, rel_path: str, data: bytes, keep: bool = True) -> None:
        """Write ``out_dir/rel_path`` atomically; when resuming and ``keep``,
        a file already there is left as it is."""
        path = osp.join(self.out_dir, rel_path)
        if not (keep and self.resume and osp.isfile(path)):
            atomic_write(path, data)

    def write_jpeg(self, rel_path: str, img: np.ndarray) -> None:
        """:meth:`write` an RGB uint8 image as JPEG (quality 90)."""
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format='JPEG', quality=90)
        self.write(rel_path, buf.getvalue())

    def _manifest(self, complete: bool) -> None:
        atomic_write(self.manifest_path,
                     json.dumps(dict(args=self.args,
                                     complete=complete)).encode())
