"""Register every mmwsss module and make ``'mmwsss'`` the default scope."""
import datetime
import importlib
import warnings

from mmengine import DefaultScope

_SUBPACKAGES = ('mmwsss.upstream', 'mmwsss.datasets', 'mmwsss.engine',
                'mmwsss.evaluation', 'mmwsss.models', 'mmwsss.refine',
                'mmwsss.visualization')


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import all mmwsss (and upstream) modules so they are registered.

    Args:
        init_default_scope (bool): also set the default scope to
            ``'mmwsss'`` so bare type names resolve mmwsss -> mmseg ->
            mmengine. Default: True.
    """
    for name in _SUBPACKAGES:
        importlib.import_module(name)
    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('mmwsss'):
        DefaultScope.get_instance('mmwsss', scope_name='mmwsss')
    elif current.scope_name != 'mmwsss':
        warnings.warn(f'The current default scope "{current.scope_name}" is '
                      'not "mmwsss"; a new one "mmwsss-<time>" is created.')
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S%f')
        DefaultScope.get_instance(f'mmwsss-{stamp}', scope_name='mmwsss')
