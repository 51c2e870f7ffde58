"""Data-parallel training of CPU processes (gloo) with synchronised BN."""
from mmengine.model import MMDistributedDataParallel
from torch import nn

from mmwsss.registry import MODEL_WRAPPERS
from ..utils.sync_batch_norm import CPUSyncBatchNorm


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` for CPU processes: torch's
    ``nn.SyncBatchNorm`` (what mmengine's ``cfg.sync_bn = 'torch'`` and
    ``norm_cfg=dict(type='SyncBN')`` build) needs CUDA and DDP rejects it
    on CPU, so its layers become :class:`CPUSyncBatchNorm` (statistics of
    the global batch over gloo) before wrapping. Models without SyncBN are
    wrapped unchanged. ``tools/train.py --launcher pytorch`` picks it on
    machines without CUDA.
    """

    def __init__(self, module: nn.Module, **kwargs) -> None:
        super().__init__(
            module=CPUSyncBatchNorm.convert_sync_batchnorm(module), **kwargs)
