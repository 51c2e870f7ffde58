"""Checkpoints written to a temporary file and renamed into place (the
whole run through tools/train.py: tests/test_tools/test_tool_failures.py)."""
import errno
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmwsss.engine.checkpoints import (
    checkpoint_ok,
    make_checkpoints_atomic,
    resume_or_load,
)


class FakeRunner:
    """``save_checkpoint`` as mmengine's: writes ``out_dir/filename``."""

    def __init__(self, fail_after=None, main_rank=True):
        self.fail_after, self.main_rank, self.names = fail_after, \
            main_rank, []

    def save_checkpoint(self, out_dir, filename, meta=None):
        self.names.append(filename)
        if not self.main_rank:
            return
        path = osp.join(out_dir, filename)
        if self.fail_after is None:
            torch.save(dict(meta=meta), path)
            return
        with open(path, 'wb') as f:
            f.write(b'PK\x03\x04'[:self.fail_after])
        raise OSError(errno.ENOSPC, 'No space left on device', path)


def test_written_under_a_temporary_name_then_renamed(tmp_path):
    runner = FakeRunner()
    make_checkpoints_atomic(runner)
    make_checkpoints_atomic(runner)  # wrapping twice changes nothing
    runner.save_checkpoint(str(tmp_path), 'iter_2.pth', meta=dict(iter=2))
    assert runner.names == [f'.iter_2.pth.{os.getpid()}.tmp']
    assert os.listdir(tmp_path) == ['iter_2.pth']
    assert checkpoint_ok(str(tmp_path / 'iter_2.pth'))


def test_failed_write_leaves_nothing_and_names_the_checkpoint(tmp_path):
    runner = FakeRunner(fail_after=3)
    make_checkpoints_atomic(runner)
    with pytest.raises(OSError) as exc:
        runner.save_checkpoint(str(tmp_path), 'iter_4.pth')
    assert exc.value.errno == errno.ENOSPC
    assert exc.value.filename == str(tmp_path / 'iter_4.pth')
    assert os.listdir(tmp_path) == []


def test_other_ranks_and_remote_folders(tmp_path):
    runner = FakeRunner(main_rank=False)  # mmengine writes on rank 0 only
    make_checkpoints_atomic(runner)
    runner.save_checkpoint(str(tmp_path), 'iter_2.pth')
    assert os.listdir(tmp_path) == []
    runner.save_checkpoint('s3://bucket/run', 'iter_2.pth')
    assert runner.names[-1] == 'iter_2.pth'  # mmengine's own write


def test_resume_removes_what_a_killed_writer_left(tmp_path):
    torch.save(dict(state_dict={}), tmp_path / 'iter_2.pth')
    (tmp_path / '.iter_4.pth.4242.tmp').write_bytes(b'PK\x03')
    (tmp_path / '.report.json.4242.tmp').write_bytes(b'{')  # not ours
    cfg = Config(dict(work_dir=str(tmp_path)))
    resume_or_load(cfg)
    assert cfg.resume and cfg.load_from == str(tmp_path / 'iter_2.pth')
    assert sorted(os.listdir(tmp_path)) == [
        '.report.json.4242.tmp', 'iter_2.pth']
