"""Synchronised BatchNorm over ``torch.distributed`` on any device."""
import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmwsss.registry import MODELS


class _AllReduceSum(torch.autograd.Function):
    """Σ over the processes; its gradient is the Σ of the gradients."""

    @staticmethod
    def forward(ctx, tensor: Tensor, group) -> Tensor:
        ctx.group = group
        tensor = tensor.clone()
        dist.all_reduce(tensor, group=group)
        return tensor

    @staticmethod
    def backward(ctx, grad: Tensor):
        return _AllReduceSum.apply(grad.contiguous(), ctx.group), None


@MODELS.register_module('CPUSyncBN')
class CPUSyncBatchNorm(_BatchNorm):
    """BatchNorm whose training statistics are those of the global batch,
    summed over the processes with ``torch.distributed`` all-reduces, so
    that it runs on CPU processes (gloo) too. ``nn.SyncBatchNorm`` (Ioffe
    and Szegedy's BN, "Batch Normalization", ICML 2015, arXiv:1502.03167,
    synchronised as in MegDet, CVPR 2018, arXiv:1711.07240) refuses CPU
    tensors, and mmcv's SyncBN needs its compiled CUDA ops.

    In training mode with W > 1 processes, over the N = Σ_r n_r values of
    a channel (batch and spatial positions of every process):
    μ = Σ_r Σ x / N, σ² = Σ_r Σ (x − μ)² / N (two passes),
    y = γ (x − μ) / sqrt(σ² + ε) + β; the running statistics take μ and
    the unbiased σ² · N / (N − 1). The all-reduces are differentiable
    (their backward all-reduces the gradients), so the gradients are those
    of the global batch. Otherwise (evaluation, one process) it is
    ``F.batch_norm``.

    Args:
        num_features, eps, momentum, affine, track_running_stats: as
            ``nn.BatchNorm2d``.
        process_group (optional): the group to synchronise over; default
            the whole world.
    """

    def __init__(self,
                 num_features: int,
                 eps: float = 1e-5,
                 momentum: float = 0.1,
                 affine: bool = True,
                 track_running_stats: bool = True,
                 process_group=None) -> None:
        super().__init__(num_features, eps, momentum, affine,
                         track_running_stats)
        self.process_group = process_group

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(
                f'expected at least 2D input (got {input.dim()}D input)')

    def _group(self):
        """The process group to synchronise over, or None (no sync)."""
        if not (self.training and dist.is_available()
                and dist.is_initialized()):
            return None
        group = self.process_group or dist.group.WORLD
        return group if dist.get_world_size(group) > 1 else None

    def forward(self, input: Tensor) -> Tensor:
        group = self._group()
        if group is None:
            return super().forward(input)
        self._check_input_dim(input)
        dims = [0, *range(2, input.dim())]
        shape = [1, -1] + [1] * (input.dim() - 2)
        count = torch.tensor([input.numel() // input.size(1)],
                             dtype=torch.float64, device=input.device)
        dist.all_reduce(count, group=group)
        total = count.item()
        mean = _AllReduceSum.apply(input.sum(dims), group) / total
        centred = input - mean.view(shape)
        var = _AllReduceSum.apply(centred.pow(2).sum(dims), group) / total
        if self.track_running_stats:
            self._update_running_stats(mean.detach(), var.detach(), total)
        out = centred * torch.rsqrt(var + self.eps).view(shape)
        if self.affine:
            out = out * self.weight.view(shape) + self.bias.view(shape)
        return out

    @torch.no_grad()
    def _update_running_stats(self, mean: Tensor, var: Tensor,
                              total: float) -> None:
        self.num_batches_tracked.add_(1)
        factor = self.momentum if self.momentum is not None else \
            1.0 / float(self.num_batches_tracked)
        unbiased = var * (total / max(total - 1, 1))
        self.running_mean.mul_(1 - factor).add_(factor * mean)
        self.running_var.mul_(1 - factor).add_(factor * unbiased)

    @classmethod
    def convert_sync_batchnorm(cls, module: nn.Module) -> nn.Module:
        """``module`` with every ``nn.SyncBatchNorm`` replaced by this
        class, sharing its parameters and buffers."""
        if isinstance(module, nn.SyncBatchNorm):
            new = cls(module.num_features, module.eps, module.momentum,
                      module.affine, module.track_running_stats,
                      module.process_group)
            if module.affine:
                new.weight, new.bias = module.weight, module.bias
            for name in ('running_mean', 'running_var',
                         'num_batches_tracked'):
                setattr(new, name, getattr(module, name))
            new.train(module.training)
            return new
        for name, child in module.named_children():
            setattr(module, name, cls.convert_sync_batchnorm(child))
        return module
