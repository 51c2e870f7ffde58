"""Stages 3–4: refine CAMs into pseudo labels ``<out>/<img_id>.png`` and
score them against the ground truth."""
import os
import os.path as osp
from typing import Callable, Optional, Sequence, Union

import numpy as np
from mmengine.dist import get_dist_info
from mmengine.utils import ProgressBar

from mmwsss.fileio import (
    load_cams,
    npz_loads,
    read_label_png,
    read_rgb,
    require_dir,
    require_file,
    save_label_png,
    save_npz,
)
from mmwsss.registry import METRICS, TASK_UTILS
from mmwsss.utils.atomic_io import remove_temporaries
from .cam_inference import image_id
from .output_files import png_loads
from .worker_pool import imap_workers

RefinerType = Union[dict, Callable]
_worker_refiner: Optional[Callable] = None


def build_refiner(refiner: RefinerType) -> Callable:
    """A refiner from a ``TASK_UTILS`` config dict, or the callable itself.

    A refiner maps ``(image (H, W, 3) uint8 RGB, cams (K, H, W) float32,
    keys (K,) int64)`` to a uint8 (H, W) label map (0, key + 1, 255).
    """
    if isinstance(refiner, dict):
        import mmwsss.refine  # noqa: F401  (registers the refiners)
        return TASK_UTILS.build(refiner)
    if not callable(refiner):
        raise TypeError(f'refiner must be a config dict or a callable, got '
                        f'{type(refiner).__name__}')
    return refiner


def refine_one(task: tuple, refiner: Callable) -> str:
    """Refine one image: read its RGB image and CAMs (sizes must match),
    run ``refiner`` and atomically write the label PNG, or, for a refiner
    whose ``suffix`` is ``'.npz'`` (e.g. :class:`CRFScoreMaker`), the dict
    of arrays it returns.

    Args:
        task (tuple): (img_id, img_path, cam_path, out_path).
        refiner (Callable): see :func:`build_refiner`.

    Returns:
        str: the image id.
    """
    img_id, img_path, cam_path, out_path = task
    image = read_rgb(img_path)
    keys, cams = load_cams(cam_path, image.shape[:2], img_path)
    label = refiner(image, cams, keys)
    if output_suffix(refiner) == '.npz':
        save_npz(out_path, label)
        return img_id
    if label.shape != image.shape[:2] or label.dtype != np.uint8:
        raise ValueError(f'{refiner!r} returned a {label.dtype} map of shape '
                         f'{label.shape} for the {image.shape[:2]} image '
                         f'{img_path}; refiners must return uint8 (H, W)')
    save_label_png(out_path, label)
    return img_id


def _refiner_class(refiner: RefinerType):
    """The class of a refiner config (or the refiner itself)."""
    if isinstance(refiner, dict):
        kind = refiner.get('type')
        if isinstance(kind, str):
            import mmwsss.refine  # noqa: F401  (registers the refiners)
            kind = TASK_UTILS.get(kind)
        return kind
    return refiner


def output_suffix(refiner: RefinerType) -> str:
    """``'.png'`` (label maps), or the ``suffix`` a refiner class declares
    (``'.npz'`` for makers that return a dict of arrays)."""
    return getattr(_refiner_class(refiner), 'suffix', '.png')


def _init_worker(refiner: RefinerType) -> None:
    global _worker_refiner
    _worker_refiner = build_refiner(refiner)


def _work(task: tuple) -> str:
    return refine_one(task, _worker_refiner)


def make_pseudo_labels(data_list: Sequence[dict],
                       cam_dir: str,
                       out_dir: str,
                       refiner: Optional[RefinerType] = None,
                       nproc: int = 1,
                       progress: bool = True) -> dict:
    """Write ``<out_dir>/<img_id>.png`` (``.npz`` for a refiner whose
    ``suffix`` says so) for every image (resumable).

    Files that exist and load are skipped and every file is written
    atomically, so an
    interrupted run resumes where it stopped. With ``nproc > 1`` the images
    are spread over a process pool; each worker builds the refiner once.
    Outputs do not depend on ``nproc``.

    Args:
        data_list (Sequence[dict]): data infos with ``img_path`` (and
            ``img_id``), e.g. ``[dataset.get_data_info(i) for i in ...]``.
        cam_dir (str): stage-2 folder of ``<img_id>.npz``.
        out_dir (str): pseudo-label folder.
        refiner (dict | Callable): refiner config, e.g.
            ``dict(type='DenseCRFRefiner', bg_power=2)``, or a callable
            (must pickle when ``nproc > 1`` and the start method is not
            fork). Default: None (``ThresholdRefiner()``).
        nproc (int): worker processes. Default: 1.
        progress (bool): show a progress bar. Default: True.

    Returns:
        dict: ``num_images``, ``skipped`` (already done), ``written``,
        ``out_dir``.
    """
    if nproc < 1:
        raise ValueError(f'nproc must be >= 1, got {nproc}')
    require_dir(
        cam_dir, 'CAM folder', 'Run stage 2 first (`python '
        'tools/infer_cams.py CONFIG CHECKPOINT --out-dir DIR`).')
    os.makedirs(out_dir, exist_ok=True)
    refiner = refiner or dict(type='ThresholdRefiner')
    ids = [image_id(info) for info in data_list]
    suffix = output_suffix(refiner)
    loads = npz_loads if suffix == '.npz' else png_loads
    remove_temporaries(out_dir, [f'{i}{suffix}' for i in ids])
    tasks = [(img_id, info['img_path'], osp.join(cam_dir, f'{img_id}.npz'),
              osp.join(out_dir, f'{img_id}{suffix}'))
             for img_id, info in zip(ids, data_list)]
    # a file cut short by a kill outside the atomic writer is redone too
    todo = [task for task in tasks if not loads(task[3])]
    bar = ProgressBar(len(todo)) if progress and todo else None
    if nproc == 1 or len(todo) <= 1:
        refine = build_refiner(refiner)
        _consume((refine_one(task, refine) for task in todo), bar)
    else:
        # refiners that run a network get fresh (spawned) workers
        spawn = getattr(_refiner_class(refiner), 'needs_network', False)
        _consume(
            imap_workers(_work, todo, nproc, _init_worker, (refiner, ),
                         'refine', 'spawn' if spawn else None), bar)
    return dict(
        num_images=len(tasks),
        skipped=len(tasks) - len(todo),
        written=len(todo),
        out_dir=out_dir)


def _consume(results, bar: Optional[ProgressBar]) -> None:
    for _ in results:
        if bar is not None:
            bar.update()


def evaluate_pseudo_labels(label_dir: str,
                           data_list: Sequence[dict],
                           classes: Sequence[str],
                           metric_cfg: Optional[dict] = None) -> dict:
    """Score a pseudo-label folder with :class:`PseudoLabelMetric`.

    Args:
        label_dir (str): folder of ``<img_id>.png``.
        data_list (Sequence[dict]): data infos; those with ``seg_map_path``
            are scored, the others counted as skipped.
        classes (Sequence[str]): foreground class names (mmpretrain order,
            e.g. ``dataset.metainfo['classes']``).
        metric_cfg (dict, optional): ``PseudoLabelMetric`` arguments, e.g.
            ``dict(boundary_f=False)``.

    Returns:
        dict: ``pseudo/mIoU``, ``pseudo/mIoU_labelled``, ``pseudo/F``, ...
        (see :class:`PseudoLabelMetric`). Under several processes each
        scores ``data_list[rank::world_size]`` and the metric gathers them
        in order on rank 0; every process gets the numbers of one process.
    """
    metric = METRICS.build(
        dict(dict(type='PseudoLabelMetric'), **(metric_cfg or {})))
    metric.collect_dir = osp.join(label_dir, '.collect')
    metric.dataset_meta = dict(classes=['background', *classes])
    rank, world_size = get_dist_info()
    for info in data_list[rank::world_size]:
        sample = dict(img_path=info['img_path'])
        if info.get('seg_map_path'):
            path = osp.join(label_dir, f'{image_id(info)}.png')
            require_file(
                path, 'Pseudo label', 'Run stages 3-4 first (`python '
                'tools/make_pseudo_labels.py CONFIG --cams DIR --out-dir '
                'DIR`) on the same split.')
            sample.update(
                pred_sem_seg=read_label_png(path, len(classes)),
                seg_map_path=info['seg_map_path'])
        metric.process(None, [sample])
    return metric.evaluate(len(data_list))
