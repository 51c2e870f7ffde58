"""Train in eval mode (dropout off) from a given iteration on, as AEFT's
AffinityNet training does."""
from mmengine.hooks import Hook
from torch.nn.modules.dropout import _DropoutNd

from mmwsss.registry import HOOKS

MODES = ('dropout', 'eval')


@HOOKS.register_module()
class EvalModeFromIterHook(Hook):
    """From iteration ``begin`` on, run every training iteration with the
    dropout layers (``mode='dropout'``) or the whole model (``mode='eval'``)
    in eval mode.

    AEFT (Yoon et al., "Adversarial Erasing Framework via Triplet with Gated
    Pyramid Pooling Layer for Weakly Supervised Semantic Segmentation",
    ECCV 2022, arXiv:2207.06935; github.com/KAIST-vilab/AEFT,
    ``train_aff.py``) runs its random walk evaluation after every 200th
    optimiser step from step 1,600 on; it calls ``model.eval()`` and never
    calls ``model.train()`` again, so iterations 1,601 to the last train the
    whole AffinityNet in eval mode. That is ``begin=1600, mode='eval'``
    (``runner.iter`` counts the finished iterations). On AffinityNet's
    ResNet-38d the BN layers stay in eval mode anyway (``norm_eval``), so
    both modes only switch the Dropout2d layers of b6 (p 0.3) and b7 (p 0.5)
    off; on other models ``mode='eval'`` also freezes BN statistics and
    changes any module whose forward depends on ``training``.

    mmengine's train loop calls ``model.train()`` before every iteration
    (and so after each validation); the hook switches the modules back in
    ``before_train_iter``, right before the forward pass. Its only input is
    ``runner.iter``, so a resumed run is in the same mode as an
    uninterrupted one. Remove the hook from ``custom_hooks`` to train with
    dropout throughout.

    Args:
        begin (int): the first iteration (``runner.iter``, counted from 0)
            trained in eval mode. Default: 1600.
        mode (str): ``'dropout'`` switches every dropout layer
            (``nn.Dropout``, ``nn.Dropout1d/2d/3d``, ``nn.AlphaDropout``,
            ``nn.FeatureAlphaDropout``), leaving BN and the rest in train
            mode; ``'eval'`` switches the whole model (AEFT's official
            behaviour). Default: ``'dropout'``.
    """

    priority = 'NORMAL'

    def __init__(self, begin: int = 1600, mode: str = 'dropout') -> None:
        if isinstance(begin, bool) or not isinstance(begin, int) or begin < 0:
            raise ValueError(
                'EvalModeFromIterHook: begin must be a non-negative integer '
                f'iteration, got {begin!r}; set custom_hooks=[..., dict('
                "type='EvalModeFromIterHook', begin=1600)] in the config.")
        if mode not in MODES:
            raise ValueError(
                f'EvalModeFromIterHook: mode must be one of {MODES}, got '
                f"{mode!r}; 'dropout' switches only the dropout layers, "
                "'eval' the whole model (AEFT's official behaviour).")
        self.begin = begin
        self.mode = mode

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch=None) -> None:
        if runner.iter < self.begin:
            return
        if runner.iter == self.begin:
            runner.logger.info(
                f'EvalModeFromIterHook: iteration {self.begin + 1} on trains '
                + ('the whole model in eval mode' if self.mode == 'eval' else
                   'with dropout off'))
        if self.mode == 'eval':
            runner.model.eval()
            return
        for module in runner.model.modules():
            if isinstance(module, _DropoutNd):
                module.eval()
