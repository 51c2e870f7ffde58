"""Check config ``type`` names before any stage runs."""
import difflib
from typing import Any, Optional, Sequence

from mmengine.registry import Registry

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


def _registries() -> list:
    return [
        value for value in vars(registries).values()
        if isinstance(value, Registry)
    ]


def _known(name: str, scope: Optional[str]) -> bool:
    qualified = f'{scope}.{name}' if scope and '.' not in name else name
    for registry in _registries():
        registry.import_from_location()
        if registry.get(qualified) is not None:
            return True
    return False


def _walk(node: Any, path: str, scope: Optional[str]):
    """(path, type name, scope) of every ``type`` in a config tree."""
    if isinstance(node, dict):
        scope = node.get('_scope_', scope)
        if isinstance(node.get('type'), str):
            yield path, node['type'], scope
        for key, value in node.items():
            yield from _walk(value, f'{path}.{key}' if path else key, scope)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _walk(value, f'{path}[{i}]', scope)


def check_config_types(cfg: dict, skip: Sequence[str] = ('stages', )) -> None:
    """Raise a clear error for a ``type`` registered nowhere (a typo), with
    the closest registered names, before anything is built.

    Args:
        cfg (dict): a whole config (model, datasets, pipelines, hooks, ...).
        skip (Sequence[str]): top-level keys not checked here.
    """
    for key, value in cfg.items():
        if key in skip:
            continue
        for where, name, scope in _walk(value, key, None):
            if _known(name, scope):
                continue
            names = set()
            for registry in _registries():
                while registry is not None:  # mmwsss -> mmseg -> mmengine
                    names.update(registry.module_dict)
                    registry = registry.parent
            close = difflib.get_close_matches(name.split('.')[-1],
                                              sorted(names), n=3)
            hint = (f'Did you mean {" or ".join(close)}? ' if close else '')
            raise InvalidInputError(
                f'{where}.type={name!r} is not a registered type. {hint}'
                'Fix the config or --cfg-options.')
