"""Per-stage manifests: what makes a pipeline stage skippable or resumable.

Each stage directory holds ``manifest.json``::

    {"stage": "cams", "settings_hash": "...", "input_hash": "...",
     "settings": {...}, "done": true, "count": 300, "wall_time_s": 12.3,
     "items_per_s": 24.4, "metrics": {...}}

``settings_hash`` hashes the stage's own settings, ``input_hash`` the
fingerprints of the stages it reads from (or of its input files), so a
changed setting invalidates that stage and, through the fingerprint chain,
every stage after it.
"""
import hashlib
import json
import os
import os.path as osp
import shutil
from typing import Any, Optional

from mmwsss.utils.atomic_io import atomic_write_json
from mmwsss.utils.checksum import sha256_file

MANIFEST = 'manifest.json'


def stable_hash(obj: Any) -> str:
    """16-hex-digit SHA-256 of the canonical JSON of ``obj``."""
    text = json.dumps(obj, sort_keys=True, default=str, separators=(',', ':'))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def file_hash(*paths: str) -> str:
    """16-hex-digit SHA-256 over the bytes of ``paths`` (in order)."""
    return sha256_file(*paths)[:16]


class StageManifest:
    """The manifest of one stage directory.

    Args:
        stage_dir (str): the stage's output directory.
        stage (str): stage name.
        settings (dict): everything that changes the stage's outputs.
        input_hash (str): fingerprint of the stage's inputs.
    """

    def __init__(self, stage_dir: str, stage: str, settings: dict,
                 input_hash: str) -> None:
        self.stage_dir = stage_dir
        self.stage = stage
        self.settings = settings
        self.settings_hash = stable_hash(settings)
        self.input_hash = input_hash
        self.path = osp.join(stage_dir, MANIFEST)

    @property
    def fingerprint(self) -> str:
        """What downstream stages use as (part of) their input hash."""
        return stable_hash([self.stage, self.settings_hash, self.input_hash])

    def load(self) -> Optional[dict]:
        """The manifest record, or None when absent or unreadable."""
        if not osp.isfile(self.path):
            return None
        try:
            with open(self.path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def _matches(self, record: Optional[dict]) -> bool:
        return bool(record) and record.get(
            'settings_hash') == self.settings_hash and record.get(
                'input_hash') == self.input_hash

    def status(self) -> str:
        """``'done'`` (skip), ``'partial'`` (resume), ``'stale'`` (settings
        or inputs changed: outputs must be redone) or ``'new'``."""
        record = self.load()
        if record is None:
            return 'stale' if osp.isdir(self.stage_dir) and os.listdir(
                self.stage_dir) else 'new'
        if not self._matches(record):
            return 'stale'
        return 'done' if record.get('done') else 'partial'

    @property
    def outdated_dir(self) -> str:
        """Where the outputs of an outdated run wait while it is redone."""
        return self.stage_dir.rstrip(os.sep) + '.outdated'

    def begin(self) -> str:
        """Prepare the directory; returns the status found.

        A stale directory (made with other settings or inputs) is set aside
        as ``<stage>.outdated`` (not deleted) until :meth:`discard_outdated`
        after the re-run passed, or :meth:`restore_outdated` when it fails;
        a partial one is kept so the stage resumes. An outdated folder that
        matches the current settings (a setting changed back) is restored.
        """
        if osp.isdir(self.outdated_dir) and not osp.isdir(self.stage_dir):
            os.replace(self.outdated_dir, self.stage_dir)
        status = self.status()
        if status == 'stale' and osp.isdir(self.outdated_dir):
            aside = StageManifest(self.outdated_dir, self.stage,
                                  self.settings, self.input_hash)
            if aside.status() == 'done':  # the setting was changed back
                shutil.rmtree(self.stage_dir)
                os.replace(self.outdated_dir, self.stage_dir)
                return 'done'
        if status == 'done':
            return status
        if status == 'stale':
            if osp.isdir(self.outdated_dir):  # an older set-aside run
                shutil.rmtree(self.outdated_dir)
            os.replace(self.stage_dir, self.outdated_dir)
        os.makedirs(self.stage_dir, exist_ok=True)
        if status != 'partial':
            self._write(done=False)
        return status

    def discard_outdated(self) -> None:
        """Delete the set-aside outputs once the re-run has finished."""
        if osp.isdir(self.outdated_dir):
            shutil.rmtree(self.outdated_dir)

    def restore_outdated(self) -> bool:
        """Put the set-aside outputs back (the re-run stopped early)."""
        if not osp.isdir(self.outdated_dir):
            return False
        if osp.isdir(self.stage_dir):
            shutil.rmtree(self.stage_dir)
        os.replace(self.outdated_dir, self.stage_dir)
        return True

    def finish(self,
               count: int,
               wall_time_s: float,
               metrics: Optional[dict] = None,
               **extra) -> dict:
        """Mark the stage done with its item count, timing and metrics."""
        return self._write(
            done=True,
            count=count,
            wall_time_s=round(wall_time_s, 3),
            items_per_s=round(count / wall_time_s, 3) if wall_time_s else None,
            metrics=metrics or {},
            **extra)

    def _write(self, **fields) -> dict:
        record = dict(
            stage=self.stage,
            settings_hash=self.settings_hash,
            input_hash=self.input_hash,
            settings=self.settings,
            **fields)
        atomic_write_json(self.path, record)
        return record
