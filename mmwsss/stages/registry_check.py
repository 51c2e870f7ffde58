"""Check config ``type`` names before any stage runs."""
import difflib

import mmwsss.registry as registries
from mmwsss.utils import InvalidInputError


def check_type(registry: str, cfg: dict, where: str) -> None:
    """Raise a clear error when ``cfg['type']`` is not registered.

    Args:
        registry (str): a name in :mod:`mmwsss.registry`, e.g.
            ``'TASK_UTILS'``.
        cfg (dict): the component config.
        where (str): its key in the config, for the message.
    """
    registry = getattr(registries, registry)
    name = cfg.get('type')
    if not isinstance(name, str):
        return  # a class or callable given directly
    registry.import_from_location()
    if registry.get(name) is not None:
        return
    known = sorted(registry.module_dict)
    close = difflib.get_close_matches(name, known, n=3)
    hint = (f'Did you mean {" or ".join(close)}?' if close else
            f'Known types: {", ".join(known[:20])}.')
    raise InvalidInputError(
        f'{where}.type={name!r} is not a registered {registry.name} type. '
        f'{hint} Fix the config or --cfg-options.')
