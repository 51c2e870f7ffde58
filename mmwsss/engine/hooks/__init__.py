from .aeft_switch_hook import AEFTSwitchHook
from .finite_loss_check_hook import FiniteLossCheckHook

__all__ = ['AEFTSwitchHook', 'FiniteLossCheckHook']
