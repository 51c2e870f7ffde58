"""Exact resume: the random number generators travel with the checkpoint."""
import random
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook

from mmwsss.registry import HOOKS


def get_random_states() -> dict:
    """Python, NumPy, torch (and CUDA) generator states as plain values
    (lists and tensors, loadable with ``weights_only=True``)."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    states = dict(
        python=[version, list(internal), gauss_next],
        numpy=[kind, keys.tolist(), pos, has_gauss, gauss],
        torch=torch.get_rng_state())
    if torch.cuda.is_available():
        states['cuda'] = torch.cuda.get_rng_state_all()
    return states


def set_random_states(states: dict) -> None:
    """Restore what :func:`get_random_states` returned."""
    version, internal, gauss_next = states['python']
    random.setstate((version, tuple(internal), gauss_next))
    kind, keys, pos, has_gauss, gauss = states['numpy']
    np.random.set_state((kind, np.asarray(keys, np.uint32), pos, has_gauss,
                         gauss))
    torch.set_rng_state(states['torch'])
    if 'cuda' in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states['cuda'])


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save the random generators in every checkpoint and restore them when
    training resumes.

    mmengine resumes the weights, optimizer, schedulers and the sampler
    position, but the generators restart from the seed, so the random
    draws of the main process (dropout; augmentations when data loads in
    the main process) of a resumed run differ from an uninterrupted one.
    With this hook a run killed after a checkpoint and resumed ends with the
    same parameters as one that was never stopped.

    Where the states are put back depends on who draws the augmentations:

    - with the per-sample seeds of ``SampleSeedSampler`` (the default of
      ``build_runner``, any ``num_workers``), data loading does not touch
      the main process's generators, so they are restored right before the
      first resumed iteration, after the DataLoader iterator has drawn its
      base seed (an uninterrupted run drew it at iteration 0);
    - otherwise before the first resumed batch is loaded, which is exact
      for ``num_workers=0`` only (workers restart their own streams).

    Validation runs between training iterations of the uninterrupted run
    but not at the resume point, so the generators are also saved before
    validation and restored after it: validation never shifts the training
    draws.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._pending: Optional[dict] = None
        self._around_val: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['random_states'] = get_random_states()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._pending = checkpoint.get('random_states')

    @staticmethod
    def _samples_seeded(runner) -> bool:
        loader = runner.train_loop.dataloader
        return getattr(getattr(loader, 'sampler', None), 'seeds_samples',
                       False)

    def before_train_epoch(self, runner) -> None:
        if self._pending is not None and not self._samples_seeded(runner):
            set_random_states(self._pending)
            self._pending = None

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        if self._pending is not None:
            set_random_states(self._pending)
            self._pending = None

    def before_val(self, runner) -> None:
        self._around_val = get_random_states()

    def after_val(self, runner) -> None:
        if self._around_val is not None:
            set_random_states(self._around_val)
            self._around_val = None
