"""Checkpoints of mmengine runs: whole or not, and which one to resume.

A process killed while it writes a checkpoint leaves a truncated file
under its final name (mmengine writes in place); a resume then passes over
it to the newest whole one, with a warning.
"""
import glob
import logging
import os.path as osp
import re
import zipfile
from typing import List

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner.checkpoint import find_latest_checkpoint


def checkpoint_ok(path: str) -> bool:
    """Whether ``path`` is a whole torch zip checkpoint (CRCs verified)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except (OSError, zipfile.BadZipFile, EOFError):
        return False


def intact_checkpoints(work_dir: str) -> List[str]:
    """``iter_*.pth`` / ``epoch_*.pth`` in ``work_dir``, newest first, that
    are whole (a kill while one was written leaves a broken file)."""
    found = []
    for path in glob.glob(osp.join(work_dir, '*_*.pth')):
        match = re.fullmatch(r'(iter|epoch)_(\d+)\.pth', osp.basename(path))
        if match:
            found.append((int(match[2]), path))
    return [path for _, path in sorted(found, reverse=True)
            if checkpoint_ok(path)]


def resume_or_load(cfg: Config) -> None:
    """Continue from the newest intact checkpoint in ``cfg.work_dir`` when
    there is one (a broken newer one is skipped with a warning); otherwise
    start fresh, initialised from ``load_from`` if set (mmengine would
    *resume* from ``load_from`` when ``resume=True``)."""
    intact = intact_checkpoints(cfg.work_dir) if osp.isdir(
        cfg.work_dir) else []
    newest = find_latest_checkpoint(cfg.work_dir) if osp.isdir(
        cfg.work_dir) else None
    if newest and intact and osp.basename(newest) != osp.basename(intact[0]):
        print_log(
            f'{newest} is incomplete or unreadable; resuming from '
            f'{intact[0]} instead.', 'current', logging.WARNING)
    if intact:
        cfg.resume, cfg.load_from = True, intact[0]
    else:
        cfg.resume = False
