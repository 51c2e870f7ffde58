"""Worker processes share the parent's threads and fail fast."""
import pytest
import torch

from mmwsss.stages.worker_pool import imap_workers
from mmwsss.utils import InvalidInputError


def _threads(_):
    return torch.get_num_threads()


def _nothing():
    return None


def _bad_init():
    raise InvalidInputError('bad refiner type')


@pytest.fixture
def four_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(4)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize('nproc, expected', [(2, 2), (3, 1), (8, 1)])
def test_workers_split_the_parent_threads(four_threads, nproc, expected):
    got = list(imap_workers(_threads, range(nproc * 2), nproc, _nothing))
    assert got == [expected] * (nproc * 2)


def test_a_failing_initializer_stops_with_its_error():
    with pytest.raises(InvalidInputError, match='bad refiner type'):
        list(imap_workers(_threads, range(3), 2, _bad_init))
