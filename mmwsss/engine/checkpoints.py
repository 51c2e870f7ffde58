"""Checkpoints of mmengine runs: written atomically, whole or not, and
which one to resume.

mmengine writes ``iter_N.pth`` in place, so a kill or a full disk during
the write would leave a truncated file under the final name. The runners
of :func:`mmwsss.engine.build_runner` write every checkpoint to a hidden
temporary ``.iter_N.pth.<pid>.tmp`` in the same folder, fsync it and rename
it into place (:func:`make_checkpoints_atomic`); ``last_checkpoint`` is
updated only after the rename. A failed write removes the temporary and
leaves the earlier checkpoints as they were. Checkpoints written by other
tools may still be truncated: a resume passes over them to the newest whole
one, with a warning.
"""
import functools
import glob
import logging
import os
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


def remove_checkpoint_temporaries(work_dir: str) -> int:
    """Delete the ``.<name>.pth.<pid>.tmp`` files a killed writer left in
    ``work_dir``; returns how many."""
    removed = 0
    for path in glob.glob(osp.join(glob.escape(work_dir), '.*.pth.*.tmp')):
        if re.fullmatch(r'\..+\.pth\.\d+\.tmp', osp.basename(path)):
            os.remove(path)
            removed += 1
    return removed


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_checkpoints_atomic(runner) -> None:
    """Make ``runner.save_checkpoint`` write to a temporary file in the
    destination folder and rename it into place (local folders only; remote
    back ends such as ``s3://`` keep mmengine's write).

    Every caller goes through it: ``CheckpointHook`` (periodic, last and
    best checkpoints) and any hook that saves. On failure the temporary is
    removed and the error re-raised naming the destination file, e.g.
    ``OSError(ENOSPC, ..., 'work_dirs/x/iter_20.pth')``.
    """
    save = runner.save_checkpoint
    if getattr(save, 'atomic', False):
        return

    @functools.wraps(save)
    def atomic_save(out_dir, filename, *args, **kwargs):
        if '://' in str(out_dir):
            return save(out_dir, filename, *args, **kwargs)
        final = osp.join(out_dir, filename)
        tmp_name = f'.{filename}.{os.getpid()}.tmp'
        tmp = osp.join(out_dir, tmp_name)
        try:
            result = save(out_dir, tmp_name, *args, **kwargs)
            if osp.isfile(tmp):  # not written on the non-main ranks
                _fsync_file(tmp)
                os.replace(tmp, final)
        except BaseException as e:
            if osp.exists(tmp):
                os.remove(tmp)
            if isinstance(e, OSError) and e.errno is not None:
                raise OSError(e.errno, e.strerror or os.strerror(e.errno),
                              final) from e
            raise
        return result

    atomic_save.atomic = True
    runner.save_checkpoint = atomic_save


def resume_or_load(cfg: Config) -> None:
    """Continue from the newest intact checkpoint in ``cfg.work_dir`` when
    there is one (a broken newer one is skipped with a warning); otherwise
    start fresh, initialised from ``load_from`` if set (mmengine would
    *resume* from ``load_from`` when ``resume=True``)."""
    if osp.isdir(cfg.work_dir):
        remove_checkpoint_temporaries(cfg.work_dir)
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
