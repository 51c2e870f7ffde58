"""Stop training with a clear message when a loss becomes NaN or infinite."""
import math
from typing import Optional

import torch
from mmengine.hooks import Hook

from mmwsss.registry import HOOKS
from mmwsss.utils.errors import NonFiniteLossError


@HOOKS.register_module()
class FiniteLossCheckHook(Hook):
    """Check every ``interval`` iterations that all logged losses are finite.

    Runs before the checkpoint hook, so the iteration that produced the NaN is
    never saved: the last checkpoint in the work dir stays usable for
    ``--resume`` after the cause (learning rate, data) is fixed.

    Args:
        interval (int): check every this many iterations. Default: 1.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, interval: int = 1) -> None:
        self.interval = interval

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
        if bad:
            raise NonFiniteLossError(
                f'Non-finite loss at iteration {runner.iter + 1}: {bad}. '
                'Nothing from this iteration was saved; the last checkpoint '
                f'in {runner.work_dir} is intact. Fix: lower the learning '
                'rate (optim_wrapper.optimizer.lr) or enable gradient '
                'clipping (optim_wrapper.clip_grad), check the inputs for '
                'corrupt images, then rerun with --resume.')
