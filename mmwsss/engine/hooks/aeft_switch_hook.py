"""Switch AEFT on at a given iteration, with the official batch-size change
of github.com/KAIST-vilab/AEFT: classification only for the first T epochs
at batch 8, then AEFT at batch 32."""
import copy
from typing import Optional

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner.loops import (
    IterBasedTrainLoop,
    _InfiniteDataloaderIterator,
)

from mmwsss.registry import HOOKS


@HOOKS.register_module()
class AEFTSwitchHook(Hook):
    """Run an :class:`AEFTClassifier` without AEFT before iteration
    ``begin`` and with it from ``begin`` on.

    At the switch the training dataloader is rebuilt with ``batch_size``
    (when given; needs ``IterBasedTrainLoop``). The phase follows the
    iteration counter, so a resumed run lands in the right phase with the
    right batch size.

    Args:
        begin (int): first iteration (0-based) of the AEFT phase.
        batch_size (int, optional): training batch size from ``begin`` on;
            ``None`` keeps the dataloader. Default: None.
    """

    priority = 'NORMAL'

    def __init__(self, begin: int, batch_size: Optional[int] = None):
        if begin < 0 or (batch_size is not None and batch_size < 1):
            raise ValueError(f'AEFTSwitchHook needs begin >= 0 and '
                             f'batch_size >= 1, got {begin}, {batch_size}')
        self.begin = begin
        self.batch_size = batch_size

    @staticmethod
    def _model(runner):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if not hasattr(model, 'aeft_enabled'):
            raise TypeError(
                f'AEFTSwitchHook needs an AEFTClassifier, got '
                f'{type(model).__name__}')
        return model

    def before_train(self, runner) -> None:
        if self.batch_size is not None and not isinstance(
                runner.train_loop, IterBasedTrainLoop):
            raise TypeError('AEFTSwitchHook(batch_size=...) needs '
                            "train_cfg=dict(type='IterBasedTrainLoop', ...)")
        active = runner.iter >= self.begin
        self._model(runner).aeft_enabled = active
        if active:
            self._switch_dataloader(runner)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        # the loop fetches the next batch after this hook and only then
        # increments its counter: switch after iteration begin - 1
        if runner.iter + 1 == self.begin:
            self._model(runner).aeft_enabled = True
            self._switch_dataloader(runner)
            print_log(
                f'AEFT phase from iteration {self.begin}'
                + (f' at batch size {self.batch_size}'
                   if self.batch_size else ''), 'current')

    def _switch_dataloader(self, runner) -> None:
        if self.batch_size is None:
            return
        loop = runner.train_loop
        if loop.dataloader.batch_size == self.batch_size:
            return
        cfg = copy.deepcopy(runner.cfg.train_dataloader)
        cfg['batch_size'] = self.batch_size
        loop.dataloader = runner.build_dataloader(
            cfg,
            seed=runner.seed,
            diff_rank_seed=runner._randomness_cfg.get('diff_rank_seed',
                                                      False))
        loop.dataloader_iterator = _InfiniteDataloaderIterator(
            loop.dataloader)
