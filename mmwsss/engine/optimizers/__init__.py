from .acr_optim_wrapper_constructor import (
    ACROptimWrapperConstructor,
    param_groups,
)

__all__ = ['ACROptimWrapperConstructor', 'param_groups']
