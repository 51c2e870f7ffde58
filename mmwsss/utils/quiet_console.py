"""A quiet console for long runs: everything the process (and its worker
processes) prints goes to a log file; the console shows only the lines
that say where the run is, and progress bars as a line per 10 % (see
:class:`~mmwsss.utils.progress_digest.ProgressDigest`)."""
import os
import re
import sys
import threading
from contextlib import contextmanager
from typing import Iterator, Pattern

from .progress_digest import ProgressDigest, split_after_bar

#: pipeline stage lines (``[cams] running``) and training progress
#: (``Iter(train) [ 200/1000]``)
PROGRESS_LINES = re.compile(r'\[[\w.-]+\] |Iter\(train\) \[')
# mmengine's ``12/03 08:14:37 - mmengine - INFO - `` prefix
_LOG_PREFIX = re.compile(r'^\d\d/\d\d (\d\d:\d\d:\d\d) - \S+ - \w+ - ')


def _console_line(text: str) -> str:
    """``HH:MM:SS message``: the log prefix shortened to the time."""
    return _LOG_PREFIX.sub(r'\1 ', text.strip())


@contextmanager
def quiet_console(log_path: str,
                  show: Pattern = PROGRESS_LINES) -> Iterator[None]:
    """Send file descriptors 1 and 2 to ``log_path`` (appended) for the
    block and echo the lines matching ``show`` to the console, and
    progress bars (per-image stages) and validation / test iteration logs
    as a line per 10 % of the work named after the stage running, e.g.
    ``[refine] 600/2000 images (30 %), eta 2:10``.

    Works at the descriptor level, so output of C libraries and of child
    processes started inside the block is captured too; progress bars
    (``\\r`` updates) are split into lines. The console is restored before
    the block's exception (if any) propagates, so error messages printed
    afterwards reach it.
    """
    os.makedirs(os.path.dirname(os.path.abspath(log_path)), exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    console, console_err = os.dup(1), os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 1)
    os.dup2(write_end, 2)
    os.close(write_end)

    digest = ProgressDigest()

    def echo(line: bytes) -> None:
        for text in split_after_bar(line.decode(errors='replace')):
            if show.search(text):
                text = _console_line(text)
                digest.see_stage(text)
            else:
                text = digest.feed(text)
            if text:
                os.write(console, (text + '\n').encode())

    def pump() -> None:
        pending = b''
        with open(log_path, 'ab') as log, os.fdopen(read_end, 'rb') as pipe:
            for chunk in iter(lambda: pipe.read1(1 << 16), b''):
                log.write(chunk)
                log.flush()
                *lines, pending = re.split(rb'[\r\n]', pending + chunk)
                for line in lines:
                    echo(line)
        echo(pending)  # e.g. a bar's last update, with no newline after it

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(console, 1)  # closes this process's write ends of the pipe
        os.dup2(console_err, 2)
        thread.join(timeout=30)
        os.close(console)
        os.close(console_err)
