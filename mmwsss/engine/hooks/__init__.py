from .aeft_switch_hook import AEFTSwitchHook
from .finite_loss_check_hook import FiniteLossCheckHook
from .random_state_hook import RandomStateHook

__all__ = ['AEFTSwitchHook', 'FiniteLossCheckHook', 'RandomStateHook']
