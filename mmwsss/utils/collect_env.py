"""Versions of Python and the stack, recorded in every pipeline report."""
import platform
from typing import Dict


def package_versions() -> Dict[str, str]:
    """Python, torch, numpy, mmengine, mmcv, mmseg, mmpretrain, mmwsss, and
    torch's thread count (results depend on it)."""
    import mmcv
    import mmengine
    import mmpretrain
    import mmseg
    import numpy
    import torch

    from mmwsss.version import __version__
    return dict(
        python=platform.python_version(),
        torch=torch.__version__,
        numpy=numpy.__version__,
        mmengine=mmengine.__version__,
        mmcv=mmcv.__version__,
        mmseg=mmseg.__version__,
        mmpretrain=mmpretrain.__version__,
        mmwsss=__version__,
        threads=str(torch.get_num_threads()))
