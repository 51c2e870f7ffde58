from .aeft_switch_hook import AEFTSwitchHook
from .finite_loss_check_hook import FiniteLossCheckHook
from .random_state_hook import RandomStateHook
from .srf_schedule_hook import SRFScheduleHook

__all__ = [
    'AEFTSwitchHook', 'FiniteLossCheckHook', 'RandomStateHook',
    'SRFScheduleHook'
]
