"""IRN's displacement statistics: the ``running_mean`` of the mean shift,
measured once after training on fixed crops of the training images."""
import copy
from typing import Iterable, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine import dist
from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from torch import Tensor
from torch.utils.data import DataLoader

from mmwsss.registry import DATASETS, HOOKS
from mmwsss.utils.errors import InvalidInputError

#: images as loaded (uint8, BGR), no augmentation; the hook crops them
DEFAULT_PIPELINE = (dict(type='LoadImageFromFile'),
                    dict(type='PackAffinityInputs'))


def displacement_mean(batches: Iterable[Tensor]) -> Tensor:
    """Mean over batches of each batch's mean displacement.

    m = (1 / N) sum_n mean_{b, y, x} D_n[b, :, y, x] for N batches
    D_n (B, 2, H, W): IRN's mean-shift statistic (``step/train_irn.py``).
    Returns a float32 (2,) tensor on the batches' device.
    """
    means = [torch.as_tensor(d).float().mean(dim=(0, 2, 3)) for d in batches]
    if not means:
        raise ValueError('displacement_mean needs at least one batch')
    return torch.stack(means).mean(dim=0)


@HOOKS.register_module()
class IRNMeanShiftHook(Hook):
    """Set IRN's ``mean_shift.running_mean`` at the end of training.

    Ahn, Cho, Kwak, "Weakly Supervised Learning of Instance Segmentation with
    Inter-pixel Relations", CVPR 2019, arXiv:1904.05044; official code
    https://github.com/jiwoon-ahn/irn (``step/train_irn.py``). The network
    in eval mode runs over the images in order, in batches of
    ``batch_size`` (the last incomplete batch dropped), each image
    normalised and cut to its top-left ``crop`` x ``crop`` window (a smaller
    image padded right/bottom with 0 after normalisation, i.e. the mean
    colour, as the training crops are); ``running_mean`` becomes
    :func:`displacement_mean` of the displacement outputs taken before the
    mean shift (the buffer is zeroed first).

    When: at the last training iteration, in ``after_train_iter`` at
    priority LOW, after the final optimiser step and before the
    ``CheckpointHook`` (VERY_LOW) saves the last checkpoint in the same
    call, so the last checkpoint (the affinity stage's output) holds the
    final weights with their statistic and no checkpoint is rewritten;
    earlier checkpoints keep 0. A run resumed from its final checkpoint has
    nothing left to do.

    The model (unwrapped from DDP) needs ``head.mean_shift.running_mean``
    and a ``mode='tensor'`` forward returning (edge logits, displacement),
    as ``IRNet``. Under DDP the batches are split over the ranks and their
    means summed, so every rank gets the one-process value.

    Args:
        batch_size (int): images per batch. Default: 32 (official).
        crop (int): side of the top-left crop. Default: 512 (official).
        max_batches (int, optional): use only the first batches; None: all.
        dataset (dict, optional): overrides of ``train_dataloader.dataset``
            (the official code measures on VOC ``train``, the training runs
            on ``trainaug``). Default: None (the training dataset).
        pipeline (Sequence[dict]): the statistic's pipeline, which must
            yield unaugmented images. Default: :data:`DEFAULT_PIPELINE`.
        num_workers (int): DataLoader workers. Default: 0.
    """

    priority = 'LOW'

    def __init__(self,
                 batch_size: int = 32,
                 crop: int = 512,
                 max_batches: Optional[int] = None,
                 dataset: Optional[dict] = None,
                 pipeline: Sequence[dict] = DEFAULT_PIPELINE,
                 num_workers: int = 0) -> None:
        checks = [('batch_size', batch_size, 1), ('crop', crop, 1),
                  ('num_workers', num_workers, 0)]
        if max_batches is not None:
            checks.append(('max_batches', max_batches, 1))
        for name, value, low in checks:
            if isinstance(value, bool) or not isinstance(value, int) or \
                    value < low:
                raise ValueError(f'IRNMeanShiftHook: {name} must be an int '
                                 f'>= {low}, got {value!r}')
        self.batch_size, self.crop = batch_size, crop
        self.max_batches = max_batches
        self.dataset = dict(dataset or {})
        self.pipeline = [dict(t) for t in pipeline]
        self.num_workers = num_workers

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if self.is_last_train_iter(runner):
            self.update(runner)

    def update(self, runner) -> Tensor:
        """Measure the statistic and write it into the model."""
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        buffer = getattr(getattr(getattr(model, 'head', None), 'mean_shift',
                                 None), 'running_mean', None)
        if not isinstance(buffer, Tensor):
            raise TypeError('IRNMeanShiftHook needs a model with '
                            'head.mean_shift.running_mean (IRNet), got '
                            f'{type(model).__name__}')
        loader, split = self._loader(runner.cfg.train_dataloader.dataset)
        was_training = model.training
        buffer.zero_()
        model.eval()
        try:
            with torch.no_grad():
                mean = self._measure(model, loader, split)
        finally:
            model.train(was_training)
        buffer.copy_(mean.to(buffer))
        print_log(f'IRN mean shift: running_mean = {buffer.tolist()}',
                  'current')
        return buffer

    def _loader(self, train_dataset: dict) -> tuple:
        """The DataLoader of this rank's batches and whether the batches
        are split over the ranks."""
        cfg = copy.deepcopy(dict(train_dataset))
        cfg.update(pipeline=self.pipeline)
        cfg.update(copy.deepcopy(self.dataset))
        dataset = DATASETS.build(cfg)
        count = len(dataset) // self.batch_size
        if self.max_batches is not None:
            count = min(count, self.max_batches)
        if count < 1:
            raise InvalidInputError(
                f'IRNMeanShiftHook: {len(dataset)} images make no full batch '
                f'of {self.batch_size}; lower batch_size in the '
                "config's IRNMeanShiftHook (custom_hooks).")
        batches = [list(range(i * self.batch_size, (i + 1) * self.batch_size))
                   for i in range(count)]
        world = dist.get_world_size()
        split = 1 < world <= count  # else every rank measures every batch
        if split:
            batches = batches[dist.get_rank()::world]
        # its own generator: the global torch RNG is left alone
        return DataLoader(dataset, batch_sampler=batches,
                          collate_fn=pseudo_collate,
                          num_workers=self.num_workers,
                          generator=torch.Generator()), split

    def _crop(self, model, img: Tensor) -> Tensor:
        """(C, H, W) raw image -> (1, C, crop, crop) normalised, top-left,
        zero-padded."""
        img = img[:, :self.crop, :self.crop]
        x = model.data_preprocessor(dict(inputs=[img]), False)['inputs']
        x = x[..., :img.shape[1], :img.shape[2]]
        return F.pad(x, [0, self.crop - x.shape[3], 0,
                         self.crop - x.shape[2]], value=0.0)

    def _measure(self, model, loader: DataLoader, split: bool) -> Tensor:
        mean = displacement_mean(
            model(torch.cat([self._crop(model, img)
                             for img in batch['inputs']]),
                  mode='tensor')[1] for batch in loader)
        if not split:
            return mean
        count = len(loader)  # the ranks' batch sums, then their mean
        total = torch.cat([mean * count, mean.new_tensor([count])])
        dist.all_reduce(total)
        return total[:2] / total[2]
