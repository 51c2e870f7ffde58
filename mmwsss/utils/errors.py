"""Exceptions for bad user input: each message names the file and the fix.

``tools/*.py`` run inside :func:`exit_on_user_error`, which prints the message
of any :data:`USER_ERRORS` instead of a traceback. The subclasses keep the
built-in type they refine, so callers may also catch ``FileNotFoundError`` /
``ValueError``.
"""
import contextlib
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


@contextlib.contextmanager
def exit_on_user_error():
    """For command-line tools: print a user error's message (no traceback)
    to stderr and exit with status 2."""
    try:
        yield
    except USER_ERRORS as e:
        print(f'error: {e}', file=sys.stderr)
        sys.exit(2)
