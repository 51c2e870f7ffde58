from .hooks import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
from .run_config import (
                         build_runner,
                         check_data_root,
                         check_pretrained,
                         load_run_config,
                         use_tta,
                         without_pretrained,
)

__all__ = [
    'load_run_config', 'use_tta', 'build_runner', 'check_data_root',
    'check_pretrained', 'without_pretrained'
]
