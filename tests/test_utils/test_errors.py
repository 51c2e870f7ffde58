"""A user error raised in a DataLoader worker reaches the user as its own
message (PyTorch re-raises it with the worker's traceback as message)."""
import pytest
from torch._utils import ExceptionWrapper

from mmwsss.utils import InvalidInputError, MissingInputError
from mmwsss.utils.errors import exit_on_user_error, user_message


def reraised_by_pytorch(error):
    """What the main process gets when a worker raised ``error``: the
    exception PyTorch's DataLoader builds with ``ExceptionWrapper``."""
    try:
        try:
            raise OSError('decoder said no')
        except OSError as cause:
            raise error from cause
    except Exception:
        wrapper = ExceptionWrapper(where='in DataLoader worker process 0')
    with pytest.raises(type(error)) as exc:
        wrapper.reraise()
    return exc.value


@pytest.mark.parametrize('cls', [InvalidInputError, MissingInputError])
def test_worker_error_keeps_its_message(cls):
    error = reraised_by_pytorch(cls('Image a.jpg cannot be decoded.\nFix: x'))
    assert 'Original Traceback' in str(error)
    assert user_message(error) == 'Image a.jpg cannot be decoded.\nFix: x'


def test_plain_errors_are_unchanged(capsys):
    assert user_message(ValueError('Caught nothing')) == 'Caught nothing'
    with pytest.raises(SystemExit) as exc:
        with exit_on_user_error():
            raise reraised_by_pytorch(InvalidInputError('bad label'))
    assert exc.value.code == 2
    assert capsys.readouterr().err == 'error: bad label\n'
