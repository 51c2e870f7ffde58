"""Progress of per-image work as a few console lines instead of a bar.

The quiet console (:mod:`mmwsss.utils.quiet_console`) hides progress bars,
which are redrawn once per image. :class:`ProgressDigest` reads the same
output and gives one line per tenth of the work (and at least one every
few minutes), named after the pipeline stage that runs::

    [refine] 600/2000 images (30 %), eta 2:10

It understands mmengine's ``ProgressBar`` (the per-image stages: CAMs,
refinement, affinity labels, box labels, their scoring) and the
validation / test iteration logs of an mmengine runner.
"""
import re
import time
from typing import Callable, List, Optional

#: a pipeline stage line, ``[cams] running`` (after the log prefix)
_STAGE = re.compile(r'\[([\w.-]+)\] ')
#: ``[>>>>    ] 600/2000, 12.3 task/s, elapsed: 49s, ETA:   130s``
_BAR = re.compile(r'\[[> ]*\] (\d+)/(\d+), \S+ tasks?/s, '
                  r'elapsed: (\d+)s, ETA:\s*(\d+)s')
#: ``Epoch(test) [ 50/1449]    eta: 0:00:49`` (``Iter(val) [1][ 50/300]``)
_LOOP = re.compile(r'(?:Epoch|Iter)\((val|test)\) (?:\[\d+\])?'
                   r'\[\s*(\d+)/(\d+)\]\s+eta: (?:(\d+) days?, )?'
                   r'(\d+):(\d\d):(\d\d)')


def split_after_bar(text: str) -> List[str]:
    """``text`` cut after a progress-bar update: a bar ends without a
    newline, so the next output (a log line) continues its line."""
    bar = _BAR.search(text)
    if bar is None or bar.end() == len(text):
        return [text]
    return [text[:bar.end()], text[bar.end():]]


def clock(seconds: int) -> str:
    """``m:ss``, or ``h:mm:ss`` from an hour on."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f'{hours}:{minutes:02d}:{secs:02d}'
    return f'{minutes}:{secs:02d}'


class ProgressDigest:
    """Turn progress output into a line per ``1 / steps`` of the work.

    Args:
        steps (int): lines per run of a bar (10: every 10 %). Default: 10.
        every_s (float): also a line when this many seconds passed since
            the last one. Default: 300.
        now (Callable): the clock, in seconds. Default: ``time.monotonic``.
    """

    def __init__(self,
                 steps: int = 10,
                 every_s: float = 300.,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.steps, self.every_s, self.now = steps, every_s, now
        self.stage: Optional[str] = None
        self._run = None  # (what is counted, total) of the current bar
        self._done = 0
        self._step = 0
        self._shown_at = 0.

    def see_stage(self, text: str) -> None:
        """Note the stage a shown console line names (``[cams] ...``)."""
        match = _STAGE.search(text)
        if match and match.group(1) != self.stage:
            self.stage, self._run = match.group(1), None

    def feed(self, text: str) -> Optional[str]:
        """The console line for one line of output, or None."""
        bar, loop = _BAR.search(text), _LOOP.search(text)
        if bar:
            done, total, elapsed, eta = map(int, bar.groups())
            unit = 'images'
            timing = (f'took {clock(elapsed)}'
                      if done >= total else f'eta {clock(eta)}')
        elif loop:
            mode, done, total, days, h, m, s = loop.groups()
            done, total, unit = int(done), int(total), f'{mode} batches'
            eta = int(days or 0) * 86400 + int(h) * 3600 + int(m) * 60 + int(s)
            timing = f'eta {clock(eta)}'
        else:
            return None
        if total <= 0:
            return None
        now = self.now()
        if (unit, total) != self._run or done < self._done:
            self._run, self._step, self._shown_at = (unit, total), 0, now
        self._done = done
        step = done * self.steps // total
        if step <= self._step and now - self._shown_at < self.every_s:
            return None
        self._step, self._shown_at = max(step, self._step), now
        prefix = f'[{self.stage}] ' if self.stage else ''
        return (f'{time.strftime("%H:%M:%S")} {prefix}{done}/{total} {unit} '
                f'({done * 100 // total} %), {timing}')
