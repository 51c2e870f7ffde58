"""Per-sample seeds: augmentations that survive a resume and any number of
DataLoader workers."""
import contextlib
import random
from typing import Iterator, Optional, Sized

import numpy as np
import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmwsss.registry import DATA_SAMPLERS


class SeededIndex(int):
    """A dataset index that carries the seed of its sample's draws."""

    sample_seed: Optional[int] = None

    def __reduce__(self):  # keep the seed when sent to a worker process
        return _seeded_index, (int(self), self.sample_seed)


def _seeded_index(index: int, seed: Optional[int]) -> SeededIndex:
    out = SeededIndex(index)
    out.sample_seed = seed
    return out


def sample_seed(seed: int, rank: int, epoch: int, position: int) -> int:
    """A 64-bit seed of (seed, rank, epoch, position), mixed with NumPy's
    ``SeedSequence`` (nearby keys give unrelated streams)."""
    words = np.random.SeedSequence(
        [seed % 2**64, rank, epoch, position]).generate_state(2)
    return int(words[0]) << 32 | int(words[1])


@contextlib.contextmanager
def seeded_random_states(seed: int):
    """Seed Python's ``random``, NumPy's global generator and torch's CPU
    generator from ``seed`` inside the block, and put the previous states
    back afterwards (the main process keeps its own streams)."""
    saved = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        torch.set_rng_state(saved[2])


class SeededItems:
    """The batched fetch (``dataset.__getitems__``, called by PyTorch's
    DataLoader in the main process and in workers) that runs each
    sample's pipeline under the seed its :class:`SeededIndex` carries."""

    def __init__(self, dataset) -> None:
        self.dataset = dataset

    def __call__(self, indices) -> list:
        items = []
        for index in indices:
            seed = getattr(index, 'sample_seed', None)
            if seed is None:
                items.append(self.dataset[index])
                continue
            with seeded_random_states(seed):
                items.append(self.dataset[int(index)])
        return items


@DATA_SAMPLERS.register_module()
class SampleSeedSampler(Sampler):
    """Wrap a sampler so that every sample's random augmentations come from
    a seed of its own, ``sample_seed(seed, rank, epoch, position)``, where
    ``position`` counts the samples this rank drew in the epoch.

    mmengine seeds each DataLoader worker once (seed + worker id), so what a
    worker draws depends on how many workers there are and restarts when
    the workers restart: a run resumed from a checkpoint drew other flips
    and crops than the uninterrupted run. Here the sampler yields
    :class:`SeededIndex` values and installs :class:`SeededItems` as the
    dataset's ``__getitems__``, which reseeds Python's ``random``, NumPy and
    torch before each sample's pipeline (restoring the previous states
    after). A resume fast-forwards the wrapped sampler with ``skip(n)``
    (mmengine's ``InfiniteSampler``) and this wrapper's position with it, so
    the resumed run draws the augmentations of the uninterrupted one, with
    any ``num_workers``; the draws also no longer depend on ``num_workers``.
    ``build_runner`` wraps every training sampler in this one unless the
    config sets ``seed_each_sample = False`` (mmengine's per-worker streams).

    Args:
        dataset (Sized): the dataset (passed by the runner).
        sampler (dict): the wrapped sampler's config, e.g.
            ``dict(type='InfiniteSampler', shuffle=True)``.
        seed (int, optional): the run's seed (passed by the runner); None
            draws one shared by all ranks.
    """

    #: read by ``RandomStateHook``: data loading leaves the main process's
    #: generators alone
    seeds_samples = True

    def __init__(self,
                 dataset: Sized,
                 sampler: dict,
                 seed: Optional[int] = None) -> None:
        if not isinstance(sampler, dict) or 'type' not in sampler:
            raise ValueError(
                'SampleSeedSampler needs the sampler to wrap as a config, '
                "e.g. sampler=dict(type='InfiniteSampler', shuffle=True); "
                f'got {sampler!r}.')
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.sampler = DATA_SAMPLERS.build(
            sampler, default_args=dict(dataset=dataset, seed=seed))
        self.rank = get_dist_info()[0]
        self.epoch = 0
        self.position = 0
        dataset.__getitems__ = SeededItems(dataset)

    def __iter__(self) -> Iterator[SeededIndex]:
        for index in self.sampler:
            yield _seeded_index(
                int(index),
                sample_seed(self.seed, self.rank, self.epoch, self.position))
            self.position += 1

    def __len__(self) -> int:
        return len(self.sampler)

    def set_epoch(self, epoch: int) -> None:
        """Start epoch ``epoch`` (positions count from 0 again)."""
        if hasattr(self.sampler, 'set_epoch'):
            self.sampler.set_epoch(epoch)
        if epoch != self.epoch:
            self.epoch, self.position = epoch, 0

    @property
    def skip(self):
        """``skip(num_samples)`` when the wrapped sampler has one: move to
        absolute position ``num_samples`` of the stream (mmengine's fast
        resume)."""
        if not hasattr(self.sampler, 'skip'):
            raise AttributeError(
                f'{type(self.sampler).__name__} has no skip()')
        return self._skip

    def _skip(self, num_samples: int) -> None:
        self.sampler.skip(num_samples)
        self.position = num_samples
