"""The visualizer's backends (``LocalVisBackend``, ``TensorboardVisBackend``,
...): type names accepted in place of dicts, and a clear message when
TensorBoard is asked for but not installed."""
import importlib.util

from mmengine.config import Config

from mmwsss.utils import InvalidInputError

#: the command-line form that adds TensorBoard to the local backend
CLI_EXAMPLE = ("--cfg-options 'visualizer.vis_backends=[LocalVisBackend,"
               "TensorboardVisBackend]'")


def tensorboard_installed() -> bool:
    """Whether the ``tensorboard`` package (which ``torch.utils.tensorboard``
    needs) can be imported."""
    return importlib.util.find_spec('tensorboard') is not None


def prepare_vis_backends(cfg: Config) -> Config:
    """Turn each backend of ``cfg.visualizer.vis_backends`` given as a type
    name into ``dict(type=name)`` (``--cfg-options`` parses
    ``[LocalVisBackend,TensorboardVisBackend]`` into names, and cannot
    express dicts), and stop with a message naming the fix when a
    ``TensorboardVisBackend`` is asked for but the ``tensorboard`` package
    is missing (mmengine would fail at the first logged value, deep inside
    the run). Modifies and returns ``cfg``.

    Raises:
        InvalidInputError: for an entry that is neither a dict nor a type
            name, or TensorBoard without its package.
    """
    visualizer = cfg.get('visualizer')
    if not visualizer or not visualizer.get('vis_backends'):
        return cfg
    backends = []
    for entry in visualizer['vis_backends']:
        if isinstance(entry, str):
            if not entry.replace('.', '_').isidentifier():
                raise InvalidInputError(
                    f'visualizer.vis_backends entry {entry!r} is neither a '
                    'dict nor a backend type name. On the command line '
                    f'write type names: {CLI_EXAMPLE}.')
            entry = dict(type=entry)
        backends.append(entry)
    visualizer['vis_backends'] = backends
    wants_tensorboard = any(
        str(getattr(b.get('type'), '__name__', b.get('type'))).endswith(
            'TensorboardVisBackend') for b in backends)
    if wants_tensorboard and not tensorboard_installed():
        raise InvalidInputError(
            'visualizer.vis_backends has a TensorboardVisBackend, but the '
            'tensorboard package is not installed. Install the optional '
            'extra: pip install -e .[tensorboard] (or pip install -r '
            'requirements/optional.txt), or drop TensorboardVisBackend '
            '(the LocalVisBackend alone writes scalars.json).')
    return cfg
