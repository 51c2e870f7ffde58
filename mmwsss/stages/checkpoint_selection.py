"""Choosing one checkpoint of a training run by a score of each, as AEFT
does for AffinityNet (Yoon et al., "Adversarial Erasing Framework via
Triplet with Gated Pyramid Pooling Layer for Weakly Supervised Semantic
Segmentation", ECCV 2022, arXiv:2207.06935;
https://github.com/KAIST-vilab/AEFT ``train_aff.py``): every 200
iterations from 1,600 on, the random walk's pseudo labels of VOC train
are scored and the checkpoint with the highest mIoU is kept (a later one
replaces it only when strictly better).

The pure parts: the iterations to score, the check that the checkpoint
hook saves and keeps them, the choice of the best, and the small json
of scores that makes the selection resumable."""
import json
import math
import os.path as osp
from typing import Dict, List, Sequence, Tuple

from mmwsss.utils import InvalidInputError
from mmwsss.utils.atomic_io import atomic_write_json


def selection_iters(start: int, interval: int, max_iters: int,
                    where: str) -> List[int]:
    """``start, start + interval, ...`` up to ``max_iters`` (the official
    grid: the last iteration is scored only when it lies on it).

    Args:
        start (int): the first iteration scored.
        interval (int): iterations between two scored checkpoints.
        max_iters (int): the training run's ``train_cfg.max_iters``.
        where (str): the setting's key, for messages.
    """
    for key, value in (('start', start), ('interval', interval)):
        if not isinstance(value, int) or isinstance(value, bool) \
                or value < 1:
            raise InvalidInputError(
                f'{where}.{key} must be a positive number of iterations, '
                f'got {value!r}.')
    if start > max_iters:
        raise InvalidInputError(
            f'{where}.start={start} is after the last training iteration '
            f'(train_cfg.max_iters={max_iters}): no checkpoint to score. '
            'Lower start or train longer.')
    return list(range(start, max_iters + 1, interval))


def _saves(hook: dict, max_iters: int, it: int) -> bool:
    """Whether mmengine's CheckpointHook (by iteration) saves at ``it``."""
    begin, interval = hook.get('save_begin', 0), hook.get('interval', -1)
    on_grid = interval > 0 and it >= begin and (it - begin) % interval == 0
    return on_grid or (hook.get('save_last', True) and it == max_iters)


def check_checkpoints_saved(hook: dict, max_iters: int, iters: Sequence[int],
                            where: str) -> None:
    """Raise a clear error when ``default_hooks.checkpoint`` of the
    trained config does not save, or does not keep, every checkpoint of
    ``iters`` in the run's own folder.

    Args:
        hook (dict): the config's ``default_hooks.checkpoint``.
        max_iters (int): ``train_cfg.max_iters``.
        iters (Sequence[int]): the iterations to score.
        where (str): the stage, for messages.
    """
    key = 'default_hooks.checkpoint'
    if hook.get('by_epoch', True):
        raise InvalidInputError(
            f'{where}: checkpoint selection needs checkpoints by iteration; '
            f'set {key}.by_epoch=False in the trained config.')
    if hook.get('out_dir'):
        raise InvalidInputError(
            f'{where}: checkpoint selection reads the checkpoints from the '
            f'stage folder; remove {key}.out_dir from the trained config.')
    missing = [it for it in iters if not _saves(hook, max_iters, it)]
    if missing:
        raise InvalidInputError(
            f'{where}: the selection scores the checkpoints of iterations '
            f'{list(iters)[:4]}... but {key} (interval='
            f'{hook.get("interval")}, save_begin={hook.get("save_begin", 0)})'
            f' does not save iteration {missing[0]}. Set {key}.interval to '
            'a divisor of the selection interval and save_begin to at most '
            'the selection start, on the same grid (e.g. interval=200, '
            'save_begin=1600).')
    keep = hook.get('max_keep_ckpts', -1)
    saved = sum(
        _saves(hook, max_iters, it) for it in range(iters[0], max_iters + 1))
    if 0 < keep < saved:
        raise InvalidInputError(
            f'{where}: {key}.max_keep_ckpts={keep} deletes checkpoints the '
            f'selection scores ({saved} are saved from iteration '
            f'{iters[0]} on); set it to -1 (keep all) or at least {saved}.')


def best_checkpoint(iters: Sequence[int],
                    scores: Sequence[float]) -> Tuple[int, float]:
    """The iteration with the highest score and that score; on a tie the
    earlier one (the official ``miou > max_miou``); non-finite scores
    never win.

    Raises:
        InvalidInputError: nothing scored, or no finite score.
    """
    if len(iters) != len(scores):
        raise ValueError(f'{len(iters)} iterations but {len(scores)} scores')
    best = None
    for index, score in enumerate(scores):
        if math.isfinite(score) and (best is None or score > scores[best]):
            best = index
    if best is None:
        raise InvalidInputError(
            'Checkpoint selection has no checkpoint with a finite score '
            f'(iterations {list(iters)}, scores {list(scores)}): check the '
            'selection split has images with ground truth.')
    return iters[best], scores[best]


def _plain(settings: dict) -> dict:
    return json.loads(json.dumps(settings, sort_keys=True, default=str))


def load_scores(path: str, settings: dict) -> Dict[int, float]:
    """The scores stored at ``path`` by :func:`save_scores` with the same
    ``settings``; empty when there are none (or they were made with other
    settings)."""
    if not osp.isfile(path):
        return {}
    try:
        with open(path) as f:
            stored = json.load(f)
    except (OSError, ValueError):
        return {}
    if not isinstance(stored, dict) or \
            stored.get('settings') != _plain(settings):
        return {}
    return {int(it): float(score) for it, score in stored['scores'].items()}


def save_scores(path: str, settings: dict, scores: Dict[int, float]) -> None:
    """Atomically write ``scores`` (iteration -> score) with the
    ``settings`` they were made with."""
    atomic_write_json(
        path,
        dict(
            settings=_plain(settings),
            scores={str(it): score
                    for it, score in sorted(scores.items())}))
