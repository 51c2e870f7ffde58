"""Stop training with a clear message when a loss becomes NaN, infinite or
explodes."""
import math
import os.path as osp
from typing import List, Optional

import torch
from mmengine.hooks import Hook

from mmwsss.registry import HOOKS
from mmwsss.utils.errors import NonFiniteLossError


def _last_checkpoint(work_dir: str) -> Optional[str]:
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return None
    with open(pointer) as f:
        path = f.read().strip()
    return path if osp.isfile(path) else None


@HOOKS.register_module()
class FiniteLossCheckHook(Hook):
    """Check every ``interval`` iterations that the total logged loss is
    finite and has not exploded.

    A loss explodes when it exceeds ``explode_ratio`` times the median of
    the first ``warmup`` checked losses (at least 1; e.g. a learning rate
    of 1e10 gives finite but huge losses from the second step on). The
    hook runs before the checkpoint hook, so the iteration that produced
    the bad loss is never saved. The message names the last checkpoint
    (or says there is none) and the command that starts the stage afresh
    with other settings.

    Args:
        interval (int): check every this many iterations. Default: 1.
        explode_ratio (float): the factor over the early losses that counts
            as an explosion; ``0`` checks finiteness only. Default: 1e4.
        warmup (int): number of first checks whose median is the reference.
            Default: 5.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self,
                 interval: int = 1,
                 explode_ratio: float = 1e4,
                 warmup: int = 5) -> None:
        self.interval = interval
        self.explode_ratio = explode_ratio
        self.warmup = warmup
        self._early: List[float] = []

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if not outputs or not self.every_n_train_iters(runner, self.interval):
            return
        losses = {
            k: v.item() if isinstance(v, torch.Tensor) else float(v)
            for k, v in outputs.items() if k.startswith('loss')
        }
        bad = {k: v for k, v in losses.items() if not math.isfinite(v)}
        total = sum(abs(v) for v in losses.values())
        if not bad and self.explode_ratio and len(self._early) >= min(
                self.warmup, 1):
            # floor 1: losses that start near 0 may grow a lot, harmlessly
            reference = max(sorted(self._early)[len(self._early) // 2], 1.0)
            if total > self.explode_ratio * reference:
                bad = dict(losses, reference=reference)
        if bad:
            raise NonFiniteLossError(self._message(runner, bad))
        if len(self._early) < self.warmup:
            self._early.append(total)

    @staticmethod
    def _message(runner, bad: dict) -> str:
        last = _last_checkpoint(runner.work_dir)
        saved = (f'The last checkpoint is {last}; it was saved before this '
                 'iteration but may already hold damaged weights.'
                 if last else 'No checkpoint was saved before it.')
        return (
            f'Non-finite or exploding loss at iteration {runner.iter + 1}: '
            f'{bad}. Nothing from this iteration was saved. {saved} Fix: '
            'lower the learning rate (optim_wrapper.optimizer.lr) or enable '
            'gradient clipping (optim_wrapper.clip_grad), and check the '
            'inputs for corrupt images. tools/run_pipeline.py CONFIG '
            '--cfg-options optim_wrapper.optimizer.lr=<lower> re-runs the '
            'stage from its start (a changed setting), keeping the old '
            'outputs aside until it succeeds; with tools/train.py use the '
            'new lr with a new --work-dir rather than --resume.')
