"""Stage 2: CAMs of a dataset split, written as ``<out>/<img_id>.npz``."""
import contextlib
import copy
import os
import os.path as osp
import warnings
from typing import Optional, Sequence, Tuple, Union

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.dist import get_dist_info
from mmengine.utils import ProgressBar
from torch.utils.data import DataLoader, Subset

from mmwsss.fileio import cam_file_ok, load_cams, read_image_size, save_cams
from mmwsss.registry import DATASETS, METRICS
from mmwsss.utils.atomic_io import remove_temporaries
from mmwsss.utils.model_loading import (
    load_config,
    load_model,
    require_checkpoint,
)

ConfigType = Union[str, Config]


def build_inference_dataset(cfg: ConfigType,
                            split: Optional[str] = None,
                            ann_file: Optional[str] = None,
                            dataloader: str = 'test_dataloader',
                            overrides: Optional[dict] = None):
    """The dataset of ``cfg[dataloader].dataset`` for another split.

    Args:
        cfg (str | Config): the stage-1 config.
        split (str, optional): e.g. ``'train'``; replaces ``split`` and drops
            ``ann_file`` (``VOCClsDataset``-style datasets).
        ann_file (str, optional): an explicit id list instead.
        dataloader (str): which dataloader's dataset. Default:
            ``'test_dataloader'``.
        overrides (dict, optional): dataset settings to replace last, e.g.
            ``dict(split='trainaug', seg_map_dir='SegmentationClassAug')``.
    """
    cfg = load_config(cfg)
    dataset_cfg = copy.deepcopy(cfg[dataloader]['dataset'])
    if split:
        dataset_cfg['split'] = split
        dataset_cfg.pop('ann_file', None)
    if ann_file:
        dataset_cfg['ann_file'] = ann_file
    dataset_cfg.update(overrides or {})
    return DATASETS.build(dataset_cfg)


def image_id(info: dict) -> str:
    """``img_id`` of a data info, or the stem of its ``img_path``."""
    return info.get('img_id') or osp.splitext(osp.basename(
        info['img_path']))[0]


def resolve_shard(rank: Optional[int] = None,
                  world_size: Optional[int] = None) -> Tuple[int, int]:
    """(rank, world size) from the arguments, else torchrun's ``RANK`` /
    ``WORLD_SIZE``, else (0, 1)."""
    rank = int(os.environ.get('RANK', 0)) if rank is None else rank
    if world_size is None:
        world_size = int(os.environ.get('WORLD_SIZE', 1))
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f'need 0 <= rank < world_size, got rank={rank}, '
                         f'world_size={world_size}')
    return rank, world_size


def shard(items: Sequence, rank: int, world_size: int) -> list:
    """Items ``rank, rank + W, rank + 2W, ...``: disjoint shards whose
    union is ``items``."""
    return list(items[rank::world_size])


def _device(rank: int) -> str:
    """The GPU of this shard (``$LOCAL_RANK`` under torchrun), or CPU."""
    if not torch.cuda.is_available():
        return 'cpu'
    local = os.environ.get('LOCAL_RANK')
    index = int(local) if local is not None else rank
    return f'cuda:{index % torch.cuda.device_count()}'


def autocast(device: str, amp: bool):
    """float16 autocast on a CUDA device when ``amp``; on any other device
    a warning and float32 (nothing changes)."""
    if not amp:
        return contextlib.nullcontext()
    if torch.device(device).type != 'cuda':
        warnings.warn(f'amp: mixed precision needs CUDA; {device} computes '
                      'the CAMs in float32.')
        return contextlib.nullcontext()
    return torch.autocast('cuda', dtype=torch.float16)


def infer_cams(cfg: ConfigType,
               checkpoint: str,
               out_dir: str,
               split: Optional[str] = None,
               ann_file: Optional[str] = None,
               dataset: Optional[dict] = None,
               rank: Optional[int] = None,
               world_size: Optional[int] = None,
               batch_size: int = 1,
               num_workers: int = 0,
               device: Optional[str] = None,
               progress: bool = True,
               data=None,
               stride: int = 1,
               amp: bool = False) -> dict:
    """Write the CAMs of one shard of a dataset split (resumable).

    Rank r of W handles the ids ``r::W``. Ids whose CAM file exists and
    loads are skipped; every file is written atomically. The model's
    ``predict`` does the multi-scale + flip aggregation of its ``cam_cfg``;
    a batch of images of different sizes is padded by the data
    preprocessor and the model then runs its CAM passes image by image.

    Args:
        cfg (str | Config): stage-1 config (model + ``test_dataloader``).
        checkpoint (str): stage-1 checkpoint.
        out_dir (str): CAM folder.
        split (str, optional): dataset split, e.g. ``'train'``.
        ann_file (str, optional): explicit id list.
        dataset (dict, optional): other dataset settings to replace (see
            :func:`build_inference_dataset`).
        rank (int, optional): shard index (default: ``$RANK`` or 0).
        world_size (int, optional): shard count (``$WORLD_SIZE`` or 1).
        batch_size (int): images per forward. Default: 1.
        num_workers (int): data loading processes. Default: 0.
        device (str, optional): default: GPU ``$LOCAL_RANK`` (else rank
            modulo the GPU count) when CUDA is available, else CPU.
        progress (bool): show a progress bar (rank 0 only). Default: True.
        data (Dataset, optional): the dataset, already built (then
            ``split``, ``ann_file`` and ``dataset`` are not used).
        stride (int): store the maps at ``ceil(H/stride) x ceil(W/stride)``
            (see :func:`mmwsss.fileio.save_cams`). Default: 1 (full size).
        amp (bool): float16 autocast on CUDA (CPU: a warning, float32).

    Returns:
        dict: ``num_images`` (this shard), ``skipped`` (already done),
        ``written``, ``rank``, ``world_size``, ``out_dir``.
    """
    cfg = load_config(cfg)
    require_checkpoint(checkpoint)
    dataset = data if data is not None else build_inference_dataset(
        cfg, split, ann_file, overrides=dataset)
    rank, world_size = resolve_shard(rank, world_size)
    mine = shard(range(len(dataset)), rank, world_size)
    ids = [image_id(dataset.get_data_info(i)) for i in mine]
    os.makedirs(out_dir, exist_ok=True)
    remove_temporaries(out_dir, [f'{i}.npz' for i in ids])
    todo = [(index, img_id) for index, img_id in zip(mine, ids)
            if not cam_file_ok(osp.join(out_dir, f'{img_id}.npz'))]
    if todo:
        device = device or _device(rank)
        model = load_model(cfg, checkpoint, device)
        loader = DataLoader(
            Subset(dataset, [index for index, _ in todo]),
            batch_size=batch_size,
            num_workers=num_workers,
            collate_fn=pseudo_collate)
        bar = ProgressBar(len(todo)) if progress and rank == 0 else None
        pending = iter(todo)
        with torch.no_grad(), autocast(device, amp):
            for batch in loader:
                for sample in model.test_step(batch):
                    _, img_id = next(pending)
                    save_cams(
                        osp.join(out_dir, f'{img_id}.npz'),
                        sample.cams.float().cpu().numpy(),
                        sample.cam_labels.cpu().numpy(),
                        stride=stride)
                    if bar is not None:
                        bar.update()
    return dict(
        num_images=len(mine),
        skipped=len(mine) - len(todo),
        written=len(todo),
        rank=rank,
        world_size=world_size,
        out_dir=out_dir)


def evaluate_cams(cam_dir: str,
                  dataset,
                  metric_cfg: Optional[dict] = None,
                  progress: bool = False) -> dict:
    """Score a CAM folder against the ground truth with :class:`CAMMetric`.

    Args:
        cam_dir (str): folder of ``<img_id>.npz``.
        dataset: the dataset the CAMs were made from (data infos with
            ``img_path`` and, where GT exists, ``seg_map_path``).
        metric_cfg (dict, optional): ``CAMMetric`` arguments (``type`` may
            be omitted), e.g. ``dict(bg_thresholds=..., fixed_bg_threshold=
            0.5, boundary_f=True)``.
        progress (bool): show a progress bar. Default: False.

    Returns:
        dict: the metric's keys with its prefix (``cam/mIoU_best``, ...).
        Under several processes each scores its share of the ids
        (``rank::world_size``) and the metric gathers them in order on
        rank 0 (in ``<cam_dir>/.collect``); every process gets the numbers
        of one process.
    """
    metric = METRICS.build(dict(dict(type='CAMMetric'), **(metric_cfg or {})))
    metric.collect_dir = osp.join(cam_dir, '.collect')
    metric.dataset_meta = dataset.metainfo
    rank, world_size = get_dist_info()
    mine = range(rank, len(dataset), world_size)
    bar = ProgressBar(len(mine)) if progress else None
    for index in mine:
        info = dataset.get_data_info(index)
        sample = dict(img_path=info['img_path'])
        if info.get('seg_map_path'):
            keys, cams = load_cams(
                osp.join(cam_dir, f'{image_id(info)}.npz'),
                read_image_size(info['img_path']), info['img_path'])
            sample.update(
                cams=cams, cam_labels=keys, seg_map_path=info['seg_map_path'])
        metric.process(None, [sample])
        if bar is not None:
            bar.update()
    return metric.evaluate(len(dataset))
