"""mmwsss: an OpenMMLab-style toolbox for weakly-supervised segmentation."""
import mmcv
import mmengine
from mmengine.utils import digit_version

from .version import __version__, version_info

# The versions this release is tested with (../requirements/runtime.txt).
_TESTED = {
    'mmengine': (mmengine, '0.10.12', '0.11.0', 'onedl-mmengine==0.10.12'),
    'mmcv': (mmcv, '2.3.6', '2.4.0', 'onedl-mmcv==2.3.6'),
}


def _check_version(name, module, minimum, below, pin):
    version = digit_version(module.__version__)
    if not digit_version(minimum) <= version < digit_version(below):
        raise ImportError(
            f'{name}=={module.__version__} is installed, but mmwsss '
            f'{__version__} needs {name}>={minimum},<{below}. Fix: '
            f'`pip install "{pin}"` (or `make test`, which installs the '
            'pinned stack into .venv).')


for _name, (_module, _min, _below, _pin) in _TESTED.items():
    _check_version(_name, _module, _min, _below, _pin)


def _check_mmseg():
    import mmseg
    _check_version('mmseg', mmseg, '1.4.2', '1.5.0',
                   'onedl-mmsegmentation==1.4.2')


_check_mmseg()

__all__ = ['__version__', 'version_info']
