"""Exceptions for bad user input: each message names the file and the fix.

``tools/*.py`` run inside :func:`exit_on_user_error`, which prints the message
of any :data:`USER_ERRORS` instead of a traceback. The subclasses keep the
built-in type they refine, so callers may also catch ``FileNotFoundError`` /
``ValueError``.
"""
import contextlib
import errno
import sys


class WSSSInputError(Exception):
    """Base class: bad or missing user input (data, weights, configs)."""


class MissingInputError(WSSSInputError, FileNotFoundError):
    """A file or folder the stage needs does not exist."""


class InvalidInputError(WSSSInputError, ValueError):
    """A file exists but its content is unusable (corrupt, wrong values)."""


class NonFiniteLossError(FloatingPointError):
    """A training loss became NaN/inf (raised by ``FiniteLossCheckHook``)."""


USER_ERRORS = (WSSSInputError, NonFiniteLossError)


#: file-system errors that are the machine's state, not a bug: no space,
#: read-only file system, permission denied, quota exceeded
SYSTEM_ERRNOS = (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM,
                 errno.EDQUOT)


@contextlib.contextmanager
def exit_on_user_error():
    """For command-line tools: print a user error's message (no traceback)
    to stderr and exit with status 2. A full disk, a read-only or
    forbidden folder is reported the same way (finished outputs are kept:
    every file is written to a temporary name first)."""
    try:
        yield
    except USER_ERRORS as e:
        print(f'error: {e}', file=sys.stderr)
        sys.exit(2)
    except OSError as e:
        if e.errno not in SYSTEM_ERRNOS:
            raise
        print(
            f'error: {e.strerror}: {e.filename or ""}. Free disk space or '
            'make the folder writable (or choose another --work-dir), then '
            'run the same command again: finished outputs are kept and the '
            'run resumes.',
            file=sys.stderr)
        sys.exit(2)
