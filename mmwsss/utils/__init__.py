from .checksum import sha256_file
from .dist_env import setup_cpu_distributed
from .errors import (
                     USER_ERRORS,
                     InvalidInputError,
                     MissingInputError,
                     NonFiniteLossError,
                     WSSSInputError,
                     exit_on_user_error,
)
from .set_env import register_all_modules

__all__ = [
    'register_all_modules', 'setup_cpu_distributed', 'WSSSInputError',
    'MissingInputError', 'InvalidInputError', 'NonFiniteLossError',
    'USER_ERRORS', 'exit_on_user_error', 'sha256_file'
]
