"""Exceptions for bad user input: each message names the file and the fix.

``tools/*.py`` catch :class:`WSSSInputError` and print its message instead of
a traceback. Both subclasses keep the built-in type they refine, so callers
may also catch ``FileNotFoundError`` / ``ValueError``.
"""


class WSSSInputError(Exception):
    """Base class: bad or missing user input (data, weights, configs)."""


class MissingInputError(WSSSInputError, FileNotFoundError):
    """A file or folder the stage needs does not exist."""


class InvalidInputError(WSSSInputError, ValueError):
    """A file exists but its content is unusable (corrupt, wrong values)."""
