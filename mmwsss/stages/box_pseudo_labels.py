"""BANA stage 2 over a dataset: ``<out>/<id>.png`` (Y_crf) and
``<ret_out>/<id>.png`` (Y_ret) from a stage-1 checkpoint, and their scores
against the ground truth (Oh et al., "Background-Aware Pooling and
Noise-Aware Loss for Weakly-Supervised Semantic Segmentation", CVPR 2021,
arXiv:2104.00905; official code github.com/cvlab-yonsei/BANA)."""
import os
import os.path as osp
import time
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.dist import get_dist_info
from mmengine.utils import ProgressBar

from mmwsss.fileio import (
    read_label_png,
    read_rgb,
    require_file,
    save_label_png,
)
from mmwsss.registry import METRICS, TASK_UTILS
from mmwsss.utils import InvalidInputError
from mmwsss.utils.atomic_io import remove_temporaries
from .cam_inference import (
    ConfigType,
    build_inference_dataset,
    image_id,
    load_config,
    load_model,
    require_checkpoint,
)
from .output_files import png_loads
from .worker_pool import imap_workers

STEPS = ('forward', 'unaries', 'crf', 'retrieval')
_worker: dict = {}


def _setup(cfg: ConfigType, checkpoint: str, split: Optional[str],
           overrides: Optional[dict], generator: Optional[dict],
           device: str, threads: Optional[int]) -> dict:
    """Model, dataset and generator of one process."""
    import mmwsss.refine  # noqa: F401  (registers the generator)
    if threads:
        torch.set_num_threads(threads)
    cfg = load_config(cfg)
    model = load_model(cfg, checkpoint, device)
    if not hasattr(model, 'box_features'):
        raise InvalidInputError(
            f'{type(model).__name__} has no box_features: BANA stage 2 needs '
            'a BANAClassifier config (e.g. configs/bana/'
            'bana_bap_vgg16_voc.py).')
    return dict(
        model=model,
        dataset=build_inference_dataset(cfg, split, overrides=overrides),
        generator=TASK_UTILS.build(
            dict(dict(type='BoxPseudoLabelGenerator'), **(generator or {}))))


def box_pseudo_labels_one(state: dict, index: int, out_path: str,
                          ret_path: str) -> dict:
    """Y_crf and Y_ret of dataset item ``index``, written atomically (Y_ret
    first, so an existing Y_crf means both are there).

    Returns:
        dict: seconds per step (``forward``, ``unaries``, ``crf``,
        ``retrieval``).
    """
    model, dataset = state['model'], state['dataset']
    item = dataset[index]
    sample = item['data_samples']
    for key in ('gt_bboxes', 'gt_bboxes_labels', 'bg_mask'):
        if key not in sample:
            raise KeyError(
                f'{sample.img_path}: the test pipeline packed no {key}; use '
                'LoadBoxBackgroundMask and PackBoxInputs in test_pipeline.')
    start = time.perf_counter()
    with torch.no_grad():
        data = model.data_preprocessor(pseudo_collate([item]), False)
        height, width = sample.bg_mask.shape[-2:]
        inputs = data['inputs'][..., :height, :width]
        feats = model.box_features(inputs)[0]
    forward_s = time.perf_counter() - start
    image = read_rgb(sample.img_path)
    result = state['generator'](
        image,
        feats.cpu(),
        model.head.weight.detach().cpu(),
        sample.gt_bboxes.cpu().numpy(),
        sample.gt_bboxes_labels.cpu().numpy(),
        sample.bg_mask.cpu().numpy(),
        name=sample.img_path)
    save_label_png(ret_path, result['y_ret'])
    save_label_png(out_path, result['y_crf'])
    return dict(forward=forward_s, **result['seconds'])


def _init_worker(*args) -> None:
    _worker.update(_setup(*args))


def _work(task: tuple) -> dict:
    return box_pseudo_labels_one(_worker, *task)


def make_box_pseudo_labels(cfg: ConfigType,
                           checkpoint: str,
                           out_dir: str,
                           ret_dir: str,
                           split: Optional[str] = 'train',
                           dataset: Optional[dict] = None,
                           generator: Optional[dict] = None,
                           nproc: int = 1,
                           device: str = 'cpu',
                           progress: bool = True,
                           rank: int = 0,
                           world_size: int = 1) -> dict:
    """Write Y_crf and Y_ret of every image of a split, or of the ids
    ``rank::world_size`` of it (resumable).

    Images whose Y_crf PNG exists are skipped; every file is written
    atomically. With ``nproc > 1`` the images are spread over worker
    processes, each with its own model copy and one thread. The outputs do
    not depend on ``nproc``.

    Args:
        cfg (str | Config): the stage-1 (BANA) config; its
            ``test_dataloader`` dataset must pack boxes and the background
            mask (``LoadBoxBackgroundMask``, ``PackBoxInputs``).
        checkpoint (str): stage-1 checkpoint.
        out_dir (str): Y_crf folder.
        ret_dir (str): Y_ret folder.
        split (str, optional): dataset split. Default: ``'train'``.
        dataset (dict, optional): dataset overrides (e.g. VOC trainaug).
        generator (dict, optional): :class:`BoxPseudoLabelGenerator`
            arguments.
        nproc (int): worker processes. Default: 1.
        device (str): model device. Default: ``'cpu'`` (workers with CUDA
            need the spawn start method; keep ``nproc=1`` on a GPU).
        progress (bool): show a progress bar. Default: True.
        rank (int): this process's share of the ids. Default: 0.
        world_size (int): the number of shares. Default: 1.

    Returns:
        dict: ``num_images`` (of this share), ``skipped``, ``written``,
        ``seconds`` (mean seconds per image of each step over the images
        written), and ``wall_s_per_image``.
    """
    if nproc < 1:
        raise ValueError(f'nproc must be >= 1, got {nproc}')
    require_checkpoint(checkpoint)
    cfg = load_config(cfg)
    data = build_inference_dataset(cfg, split, overrides=dataset)
    mine = range(rank, len(data), world_size)
    ids = [image_id(data.get_data_info(i)) for i in mine]
    for folder in (out_dir, ret_dir):
        os.makedirs(folder, exist_ok=True)
        remove_temporaries(folder, [f'{i}.png' for i in ids])
    todo = [(index, osp.join(out_dir, f'{img_id}.png'),
             osp.join(ret_dir, f'{img_id}.png'))
            for index, img_id in zip(mine, ids)
            if not (png_loads(osp.join(out_dir, f'{img_id}.png'))
                    and png_loads(osp.join(ret_dir, f'{img_id}.png')))]
    bar = ProgressBar(len(todo)) if progress and todo else None
    times = []
    start = time.perf_counter()
    setup = (cfg, checkpoint, split, dataset, generator, device,
             1 if nproc > 1 else None)
    if todo and (nproc == 1 or len(todo) == 1):
        state = _setup(*setup)
        for task in todo:
            times.append(box_pseudo_labels_one(state, *task))
            if bar is not None:
                bar.update()
    elif todo:
        for seconds in imap_workers(_work, todo, nproc, _init_worker, setup,
                                    'box label'):
            times.append(seconds)
            if bar is not None:
                bar.update()
    wall = time.perf_counter() - start
    return dict(
        num_images=len(ids),
        skipped=len(ids) - len(todo),
        written=len(todo),
        seconds={
            step: float(np.mean([t[step] for t in times])) if times else 0.0
            for step in STEPS
        },
        wall_s_per_image=wall / len(todo) if todo else 0.0)


def evaluate_box_pseudo_labels(out_dir: str,
                               ret_dir: str,
                               data_list: Sequence[dict],
                               classes: Sequence[str],
                               metric_cfg: Optional[dict] = None,
                               float32_round_trip: bool = True) -> dict:
    """Scores of Y_crf (``pseudo/``), Y_ret (``pseudo_ret/``), the reliable
    region S = {Y_crf = Y_ret} (``reliable/``: Y_crf on S, the rest
    ignored, so ``reliable/ignore_ratio`` is the unreliable share) and the
    box-fill baseline (``box_fill/``) against the ground truth.

    Args:
        out_dir, ret_dir (str): Y_crf and Y_ret folders.
        data_list (Sequence[dict]): data infos with ``img_path``,
            ``gt_bboxes``, ``gt_bboxes_labels`` and, to be scored,
            ``seg_map_path``.
        classes (Sequence[str]): foreground class names.
        metric_cfg (dict, optional): ``PseudoLabelMetric`` arguments.
        float32_round_trip (bool): box edges of the box-fill baseline, as
            the generator's. Default: True.
    """
    from mmwsss.refine.box_labeler.functional import (
        box_fill_labels,
        box_pixel_coords,
    )
    metrics = {}
    for prefix in ('pseudo', 'pseudo_ret', 'reliable', 'box_fill'):
        metric = METRICS.build(
            dict(dict(type='PseudoLabelMetric', prefix=prefix),
                 **(metric_cfg or {})))
        metric.collect_dir = osp.join(out_dir, '.collect')
        metric.dataset_meta = dict(classes=['background', *classes])
        metrics[prefix] = metric
    # several processes: each scores its share, the metrics gather in order
    rank, world_size = get_dist_info()
    for info in data_list[rank::world_size]:
        samples = {key: dict(img_path=info['img_path']) for key in metrics}
        if info.get('seg_map_path'):
            name = f'{image_id(info)}.png'
            maps = {}
            for key, folder in (('pseudo', out_dir), ('pseudo_ret', ret_dir)):
                path = osp.join(folder, name)
                require_file(
                    path, 'Pseudo label', 'Run BANA stage 2 first (`python '
                    'tools/run_pipeline.py CONFIG --stages train cams '
                    'pseudo`).')
                maps[key] = read_label_png(path, len(classes))
            maps['reliable'] = np.where(maps['pseudo'] == maps['pseudo_ret'],
                                        maps['pseudo'], 255).astype(np.uint8)
            coords = box_pixel_coords(info['gt_bboxes'],
                                      maps['pseudo'].shape,
                                      float32_round_trip)
            maps['box_fill'] = box_fill_labels(coords,
                                               info['gt_bboxes_labels'],
                                               maps['pseudo'].shape)
            for key in metrics:
                samples[key].update(
                    pred_sem_seg=maps[key], seg_map_path=info['seg_map_path'])
        for key, metric in metrics.items():
            metric.process(None, [samples[key]])
    results = {}
    for metric in metrics.values():
        results.update(metric.evaluate(len(data_list)))
    return results
