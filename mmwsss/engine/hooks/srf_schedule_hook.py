"""Set the epoch of ACR's Stochastic Remnant Feeding curriculum from the
iteration counter."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmwsss.registry import HOOKS


@HOOKS.register_module()
class SRFScheduleHook(Hook):
    """Before every training iteration set ``model.srf_epoch = iter //
    iters_per_epoch`` on an :class:`ACRClassifier`.

    ACR (Kweon, Yoon, Yoon, "Weakly Supervised Semantic Segmentation via
    Adversarial Learning of Classifier and Reconstructor", CVPR 2023;
    github.com/sangrockEG/ACR) keeps a remnant cell visible with probability
    q = 0.8 − 0.01·epoch (epoch counted from 0), so the model needs the
    epoch index while the mmwsss runs are iteration based. The epoch is a
    function of the iteration only, so a resumed run continues the
    schedule exactly.

    Args:
        iters_per_epoch (int): iterations of one epoch (VOC trainaug at
            batch 8: 10,582 // 8 = 1,322).
    """

    priority = 'NORMAL'

    def __init__(self, iters_per_epoch: int) -> None:
        if int(iters_per_epoch) != iters_per_epoch or iters_per_epoch < 1:
            raise ValueError('SRFScheduleHook: iters_per_epoch must be a '
                             f'positive integer, got {iters_per_epoch!r}')
        self.iters_per_epoch = int(iters_per_epoch)

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch=None) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if not hasattr(model, 'srf_epoch'):
            raise TypeError(
                'SRFScheduleHook needs a model with an SRF schedule '
                f'(ACRClassifier), got {type(model).__name__}; remove the '
                'hook from custom_hooks.')
        model.srf_epoch = runner.iter // self.iters_per_epoch
