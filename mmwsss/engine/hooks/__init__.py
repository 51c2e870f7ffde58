from .finite_loss_check_hook import FiniteLossCheckHook

__all__ = ['FiniteLossCheckHook']
