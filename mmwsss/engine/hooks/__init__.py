from .aeft_switch_hook import AEFTSwitchHook
from .eval_mode_from_iter_hook import EvalModeFromIterHook
from .finite_loss_check_hook import FiniteLossCheckHook
from .irn_mean_shift_hook import IRNMeanShiftHook, displacement_mean
from .random_state_hook import RandomStateHook
from .srf_schedule_hook import SRFScheduleHook

__all__ = [
    'AEFTSwitchHook', 'EvalModeFromIterHook', 'FiniteLossCheckHook',
    'IRNMeanShiftHook', 'RandomStateHook', 'SRFScheduleHook',
    'displacement_mean'
]
