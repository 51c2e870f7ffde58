"""Worker processes for the per-image stages that fail fast.

``multiprocessing.Pool`` respawns a worker whose initializer raises, for
ever: a typo'd refiner type then hangs the stage. Here a worker keeps its
start-up error and raises it with its first task, so the stage stops at
once with that error (a user error keeps its clear message); a worker that
dies (killed, out of memory) stops the stage with a message saying so.
"""
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterable, Iterator, Optional

import torch

from mmwsss.utils import InvalidInputError

_state: dict = {}


def _start(initializer: Callable, initargs: tuple, threads: int) -> None:
    # the workers share the parent's threads: with each worker at the
    # parent's count, N workers x T spinning OpenMP threads on T cores ran a
    # toy IRN walk 15x slower (430 s against 28.7 s for 2,000 images)
    torch.set_num_threads(threads)
    try:
        initializer(*initargs)
    except BaseException as e:  # raised again with the first task
        _state['error'] = e


def _call(fn: Callable, task):
    if 'error' in _state:
        raise _state['error']
    return fn(task)


class _Task:
    """A picklable ``task -> _call(fn, task)``."""

    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def __call__(self, task):
        return _call(self.fn, task)


def imap_workers(fn: Callable,
                 tasks: Iterable,
                 nproc: int,
                 initializer: Callable,
                 initargs: tuple = (),
                 what: str = 'stage',
                 start_method: Optional[str] = None) -> Iterator:
    """Results of ``fn(task)`` over ``nproc`` worker processes, in order;
    each worker gets ``max(1, torch threads // nproc)`` threads.

    Args:
        fn (Callable): module-level function of one task.
        tasks (Iterable): the tasks.
        nproc (int): worker processes.
        initializer (Callable): per-worker set-up (e.g. build the model).
        initargs (tuple): its arguments.
        what (str): the stage, for messages.
        start_method (str, optional): 'spawn' for workers that run torch
            after a parent that has (a forked child can deadlock on a lock
            the parent's OpenMP threads held). Default: fork where there is
            one, else spawn.
    """
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context(
        start_method or ('fork' if 'fork' in methods else 'spawn'))
    pool: Optional[ProcessPoolExecutor] = ProcessPoolExecutor(
        nproc,
        mp_context=context,
        initializer=_start,
        initargs=(initializer, initargs,
                  max(1, torch.get_num_threads() // nproc)))
    try:
        yield from pool.map(_Task(fn), list(tasks))
    except BrokenProcessPool as e:
        raise InvalidInputError(
            f'A worker process of the {what} stage died (killed, or out of '
            f'memory: {e}). Re-run with fewer processes (nproc=1 shows the '
            'error in the main process); finished outputs are kept.') from e
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
