"""Exceptions for bad user input: each message names the file and the fix.

``tools/*.py`` run inside :func:`exit_on_user_error`, which prints the message
of any :data:`USER_ERRORS` instead of a traceback, also when a DataLoader
worker raised it (PyTorch re-raises it in the main process with the worker's
traceback as its message; :func:`user_message` keeps the original message).
The subclasses keep the built-in type they refine, so callers may also catch
``FileNotFoundError`` / ``ValueError``.
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


def user_message(error: BaseException) -> str:
    """The message of ``error``; for an error a DataLoader worker raised,
    the original message without the worker's traceback (PyTorch re-raises
    ``Caught <Type> in DataLoader worker process N. Original Traceback
    ...`` ending with ``<module>.<Type>: <message>``)."""
    text = str(error)
    if not (text.startswith('Caught ') and '\nOriginal Traceback' in text):
        return text
    cls = type(error)
    for prefix in (f'{cls.__module__}.{cls.__qualname__}: ',
                   f'{cls.__qualname__}: '):
        pos = text.rfind('\n' + prefix)
        if pos >= 0:
            return text[pos + 1 + len(prefix):].strip()
    return text


def print_user_error(error: BaseException) -> bool:
    """Print the message of a user error, or of a full disk, a read-only
    or forbidden folder, to stderr (no traceback); False, printing
    nothing, for any other error (a bug: let its traceback show)."""
    if isinstance(error, USER_ERRORS):
        print(f'error: {user_message(error)}', file=sys.stderr)
        return True
    if isinstance(error, OSError) and error.errno in SYSTEM_ERRNOS:
        print(
            f'error: {error.strerror}: {error.filename or ""}. Free disk '
            'space or make the folder writable (or choose another '
            '--work-dir), then run the same command again (tools/train.py: '
            'with --resume): finished outputs are kept and the run resumes.',
            file=sys.stderr)
        return True
    return False


@contextlib.contextmanager
def exit_on_user_error():
    """For command-line tools: exit with status 2 after
    :func:`print_user_error` for the errors it reports (finished outputs
    are kept: every file, checkpoints included, is written to a temporary
    name first). Errors raised in DataLoader workers are recognised too."""
    try:
        yield
    except (*USER_ERRORS, OSError) as e:
        if not print_user_error(e):
            raise
        sys.exit(2)
