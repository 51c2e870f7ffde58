"""One run per work dir: a lock file holding the owner's PID.

A second run on the same work dir stops at once with the holder's PID; a
lock left by a process that no longer exists (killed, machine rebooted) is
taken over.
"""
import errno
import os
import os.path as osp
import socket

from mmwsss.utils import InvalidInputError

LOCK = '.lock'


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class WorkDirLock:
    """Context manager: hold ``<work_dir>/.lock`` while stages run.

    Args:
        work_dir (str): the run's root.
    """

    def __init__(self, work_dir: str) -> None:
        self.work_dir = work_dir
        self.path = osp.join(work_dir, LOCK)
        self._held = False

    def _holder(self):
        try:
            with open(self.path) as f:
                pid, host = f.read().split()[:2]
            return int(pid), host
        except (OSError, ValueError):
            return None, None

    def acquire(self) -> None:
        os.makedirs(self.work_dir, exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except OSError as e:
                if e.errno != errno.EEXIST:
                    raise InvalidInputError(
                        f'Cannot create the lock {self.path} ({e.strerror}). '
                        'Fix: make the work dir writable or choose another '
                        'with --work-dir.') from e
                pid, host = self._holder()
                here = socket.gethostname()
                if pid is not None and (host != here or _alive(pid)):
                    raise InvalidInputError(
                        f'{self.work_dir} is in use by another run (PID '
                        f'{pid} on {host}, lock {self.path}). Wait for it to '
                        'finish, or use another --work-dir; if that process '
                        'no longer runs, delete the lock file.')
                os.remove(self.path)  # stale: its owner is gone
                continue
            with os.fdopen(fd, 'w') as f:
                f.write(f'{os.getpid()} {socket.gethostname()}\n')
            self._held = True
            return
        raise InvalidInputError(
            f'Could not take the lock {self.path}: another run keeps '
            'creating it. Use another --work-dir.')

    def release(self) -> None:
        if self._held and osp.isfile(self.path):
            pid, _ = self._holder()
            if pid == os.getpid():
                os.remove(self.path)
        self._held = False

    def __enter__(self) -> 'WorkDirLock':
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
