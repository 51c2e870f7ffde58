"""The part the learned random-walk refiners share: their trained network
(built once per worker process) and a cache of its per-image output."""
import hashlib
import os.path as osp
from typing import Callable, Dict, Optional

import numpy as np
import torch

from mmwsss.fileio import npz_loads, save_npz
from mmwsss.utils import InvalidInputError
from mmwsss.utils.model_loading import load_model


def walk_torch_dtype(name: str) -> torch.dtype:
    """``torch.float64`` or ``torch.float32`` for a refiner's
    ``walk_dtype``."""
    if name not in ('float64', 'float32'):
        raise ValueError(
            f'walk_dtype must be float64 or float32, got {name!r}')
    return getattr(torch, name)


class NetworkWalkRefiner:
    """Base of refiners that walk with a trained network.

    The network comes from ``config`` (its ``model``) and ``checkpoint``;
    in the pipeline the refine stage fills both in from its affinity stage
    (``RefineStage(affinity='aff_train')``). With ``cache_dir`` the
    network's output for an image (affinities or an edge map) is stored
    under the SHA-1 of the image pixels, so a sweep of the walk's own
    settings (α, β, steps, thresholds) runs the network once per image.

    Args:
        config (str, optional): the network's config file.
        checkpoint (str, optional): its trained weights.
        cache_dir (str, optional): folder of the per-image cache (one per
            checkpoint: the stage puts it beside the checkpoint).
        device (str): ``'cpu'`` or ``'cuda'``. Default: ``'cpu'``.
    """

    #: the refine stage must give this refiner a trained network
    needs_network = True

    def __init__(self,
                 config: Optional[str] = None,
                 checkpoint: Optional[str] = None,
                 cache_dir: Optional[str] = None,
                 device: str = 'cpu') -> None:
        self.config, self.checkpoint = config, checkpoint
        self.cache_dir, self.device = cache_dir, device
        self._network = None

    @property
    def network(self):
        """The network in eval mode (built on first use)."""
        if self._network is None:
            if not (self.config and self.checkpoint):
                raise InvalidInputError(
                    f'{type(self).__name__} needs config= and checkpoint= of '
                    'its trained network (in the pipeline: '
                    "RefineStage(affinity='aff_train')).")
            self._network = load_model(self.config, self.checkpoint,
                                       self.device)
        return self._network

    def cached(self, image: np.ndarray,
               compute: Callable[[], Dict[str, np.ndarray]]) -> dict:
        """``compute()`` (a dict of arrays), read from the cache when this
        image's entry exists and written there otherwise."""
        if not self.cache_dir:
            return compute()
        digest = hashlib.sha1(
            np.ascontiguousarray(image).tobytes() +
            str(image.shape).encode()).hexdigest()
        path = osp.join(self.cache_dir, f'{digest}.npz')
        if npz_loads(path):
            with np.load(path, allow_pickle=False) as data:
                return {key: data[key] for key in data.files}
        arrays = compute()
        save_npz(path, arrays)
        return arrays

    def __getstate__(self) -> dict:
        # workers build their own network
        return dict(self.__dict__, _network=None)
