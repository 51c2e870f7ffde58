"""SampleSeedSampler: each sample's random draws come from a seed of
(seed, rank, epoch, position), so they survive a resume and do not depend
on the DataLoader workers."""
import itertools
import pickle
import random

import numpy as np
import pytest
import torch
from mmengine.dataset import DefaultSampler, InfiniteSampler
from torch.utils.data import DataLoader

from mmwsss.datasets.sample_seed_sampler import (
    SampleSeedSampler,
    SeededIndex,
    sample_seed,
)


class DrawingDataset:
    """Item ``i``: (i, a Python, a NumPy and a torch draw)."""

    def __len__(self):
        return 10

    def __getitem__(self, index):
        return (int(index), random.random(), float(np.random.rand()),
                float(torch.rand(())))


def wrapped(seed=3, sampler=None, dataset=None):
    return SampleSeedSampler(
        dataset if dataset is not None else DrawingDataset(),
        sampler or dict(type='InfiniteSampler', shuffle=True), seed=seed)


def test_indices_are_the_wrapped_samplers_with_their_seeds():
    sampler = wrapped()
    got = list(itertools.islice(iter(sampler), 25))
    plain = InfiniteSampler(DrawingDataset(), shuffle=True, seed=3)
    assert got == list(itertools.islice(iter(plain), 25))
    assert all(type(i) is SeededIndex for i in got)
    assert [i.sample_seed for i in got] == [
        sample_seed(3, 0, 0, position) for position in range(25)]
    assert len({i.sample_seed for i in got}) == 25


def test_skip_continues_the_uninterrupted_stream():
    whole = list(itertools.islice(iter(wrapped()), 30))
    resumed = wrapped()
    resumed.skip(12)  # what mmengine does on resume: iterations x batch
    tail = list(itertools.islice(iter(resumed), 18))
    assert [(int(i), i.sample_seed) for i in tail] == [
        (int(i), i.sample_seed) for i in whole[12:]]


def test_epochs_restart_positions_with_other_seeds():
    sampler = wrapped(sampler=dict(type='DefaultSampler', shuffle=False))
    first = [i.sample_seed for i in sampler]
    sampler.set_epoch(1)
    second = [i.sample_seed for i in sampler]
    assert second == [sample_seed(3, 0, 1, p) for p in range(10)]
    assert not set(first) & set(second)
    # DefaultSampler cannot skip: mmengine must not see a skip()
    assert not hasattr(sampler, 'skip') and hasattr(wrapped(), 'skip')


def test_each_sample_draws_from_its_seed_and_the_main_streams_go_on():
    dataset = DrawingDataset()
    wrapped(dataset=dataset)  # installs the seeded batched fetch
    index = SeededIndex(4)
    index.sample_seed = 99
    random.seed(0)
    before = random.random()
    random.seed(0)
    first = dataset.__getitems__([index])
    assert random.random() == before  # main-process stream untouched
    assert dataset.__getitems__([index]) == first
    random.seed(99)
    np.random.seed(99)
    torch.manual_seed(99)
    assert first == [(4, random.random(), float(np.random.rand()),
                      float(torch.rand(())))]


def test_workers_draw_what_the_main_process_draws():
    def batches(num_workers):
        dataset = DrawingDataset()
        loader = DataLoader(
            dataset, batch_size=4, num_workers=num_workers,
            sampler=wrapped(dataset=dataset), collate_fn=list)
        return list(itertools.islice(iter(loader), 5))

    assert batches(0) == batches(2)


def test_seeds_survive_pickling():
    index = pickle.loads(pickle.dumps(next(iter(wrapped()))))
    assert index.sample_seed == sample_seed(3, 0, 0, 0)
    dataset = DrawingDataset()
    wrapped(dataset=dataset)
    copy = pickle.loads(pickle.dumps(dataset))  # spawned workers
    assert copy.__getitems__([index]) == dataset.__getitems__([index])


def test_sampler_config_is_required():
    with pytest.raises(ValueError, match="sampler=dict\\(type='Infinite"):
        SampleSeedSampler(DrawingDataset(), DefaultSampler)
