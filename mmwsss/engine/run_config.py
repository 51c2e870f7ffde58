"""Config handling shared by tools/train.py, tools/test.py and the
pipeline runner."""
import itertools
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner

from mmwsss.fileio import COCO_HINT, VOC_HINT
from mmwsss.fileio.weight_hints import weight_hint
from mmwsss.registry import RUNNERS
from mmwsss.utils import InvalidInputError, MissingInputError
from .checkpoints import make_checkpoints_atomic
from .vis_backends import prepare_vis_backends

_RUN_IDS = itertools.count()


def load_run_config(config: str,
                    cfg_options: Optional[dict] = None,
                    work_dir: Optional[str] = None,
                    launcher: str = 'none') -> Config:
    """Load ``config``, apply ``--cfg-options`` and pick the work dir
    (``--work-dir``, else the config's, else ``work_dirs/<config stem>``)."""
    if not osp.isfile(config):
        raise MissingInputError(f'Config {config} does not exist.')
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    return cfg


def check_data_root(cfg: Config, dataloader: str) -> None:
    """Raise a clear :class:`MissingInputError` when the ``data_root`` of
    ``cfg[dataloader].dataset`` is missing (mmseg's own datasets, such as
    ``PascalVOCDataset``, only assert)."""
    root = cfg.get(dataloader, {}).get('dataset', {}).get('data_root')
    if isinstance(root, str) and not osp.isdir(root):
        hint = COCO_HINT if 'coco' in root.lower() else VOC_HINT
        raise MissingInputError(
            f'Data root {root} ({dataloader}) does not exist. {hint}')


def pretrained_inits(node, path='model'):
    """(config path, init dict) of every ``Pretrained`` init under ``node``
    whose ``checkpoint`` is a string (a local file or a URL)."""
    if isinstance(node, dict):
        if node.get('type') == 'Pretrained' and isinstance(
                node.get('checkpoint'), str):
            yield path, node
        for key, value in node.items():
            yield from pretrained_inits(value, f'{path}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from pretrained_inits(value, f'{path}[{i}]')


def pretrained_checkpoints(node, path='model'):
    """(config path, checkpoint) of every ``Pretrained`` init under
    ``node`` (local files and URLs)."""
    for where, init in pretrained_inits(node, path):
        yield where, init['checkpoint']


def weight_paths(cfg: Config) -> list:
    """(config key, path) of the weights a training config loads before
    its first step: every ``Pretrained`` checkpoint and ``load_from``."""
    wanted = list(pretrained_checkpoints(cfg.get('model', {})))
    if cfg.get('load_from'):
        wanted.append(('load_from', cfg.load_from))
    return wanted


def without_pretrained(node):
    """A copy of a model config with every ``Pretrained`` init_cfg and every
    ``pretrained`` path set to None, to build (and ``init_weights``) a model
    without its weight files, e.g. in tests and benchmarks."""
    if isinstance(node, dict):
        if node.get('type') == 'Pretrained':
            return None
        return {
            k: None if k == 'pretrained' else without_pretrained(v)
            for k, v in node.items()
        }
    if isinstance(node, (list, tuple)):
        return type(node)(without_pretrained(v) for v in node)
    return node


def check_pretrained(cfg: Config) -> None:
    """Raise a clear :class:`MissingInputError` before training when a
    local ``Pretrained`` checkpoint or ``load_from`` file is missing
    (mmengine would fail deep inside ``init_weights``). The message uses the
    config's ``pretrained_hint`` when it has one, else
    :func:`mmwsss.fileio.weight_hints.weight_hint` (download page and
    converter of the weights the shipped configs read)."""
    for where, path in weight_paths(cfg):
        if '://' in path or osp.isfile(path):
            continue
        hint = cfg.get('pretrained_hint') or weight_hint(path)
        raise MissingInputError(
            f'Pretrained weights {path} ({where}) do not exist. {hint}')


def use_tta(cfg: Config, crf_iters: int = 0) -> Config:
    """Switch a segmentation config to its test-time augmentation: the test
    pipeline becomes ``tta_pipeline`` and the model is wrapped in
    ``tta_model``; ``crf_iters > 0`` turns on DenseCRF after the merge
    (``CRFSegTTAModel``). Modifies and returns ``cfg``."""
    if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
        raise InvalidInputError(
            'Test-time augmentation needs tta_model and tta_pipeline in the '
            'config (see configs/_base_/datasets/toyvoc_pseudo.py).')
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    cfg.tta_model.module = cfg.model
    if crf_iters:
        cfg.tta_model.setdefault('crf', {})['n_iter'] = crf_iters
    cfg.model = cfg.tta_model
    return cfg


#: the sampler wrapper that seeds each training sample's augmentations
SAMPLE_SEED_SAMPLER = 'mmwsss.SampleSeedSampler'


def seed_each_sample(cfg: Config) -> Config:
    """Wrap ``train_dataloader.sampler`` in ``SampleSeedSampler`` (unless
    the config sets ``seed_each_sample = False``): every sample's
    augmentations are drawn from a seed of (seed, rank, epoch, position in
    the sample stream), so they do not depend on ``num_workers`` or on
    where a run was resumed. Modifies and returns ``cfg``."""
    loader = cfg.get('train_dataloader')
    sampler = loader.get('sampler') if isinstance(loader, dict) else None
    if (cfg.get('seed_each_sample', True) and isinstance(sampler, dict)
            and sampler.get('type') not in (SAMPLE_SEED_SAMPLER,
                                            'SampleSeedSampler')):
        loader['sampler'] = dict(type=SAMPLE_SEED_SAMPLER, sampler=sampler)
    return cfg


#: upstream loading transforms and their twins with clear errors
CHECKED_LOADERS = {
    'LoadImageFromFile': 'mmwsss.CheckedLoadImageFromFile',
    'LoadAnnotations': 'mmwsss.CheckedLoadAnnotations',
}


def use_checked_loaders(cfg: Config) -> Config:
    """Replace mmcv's ``LoadImageFromFile`` and mmseg's ``LoadAnnotations``
    (unscoped names) in every dataloader's pipelines, test-time
    augmentation branches included, with ``CheckedLoadImageFromFile`` and
    ``CheckedLoadAnnotations``: the same loading, but a missing or corrupt
    file, or a label map of another size than its image, stops with a
    message naming the files and the fix, also inside DataLoader workers.
    Modifies and returns ``cfg``."""

    def swap(node) -> None:
        if isinstance(node, dict):
            kind = node.get('type')
            if isinstance(kind, str) and kind in CHECKED_LOADERS:
                node['type'] = CHECKED_LOADERS[kind]
            for value in node.values():
                swap(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                swap(value)

    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        swap(cfg.get(key))
    return cfg


def build_runner(cfg: Config):
    """``Runner.from_cfg``, or the registered runner named by
    ``runner_type``, made exact on resume and safe to kill:

    - :class:`RandomStateHook` is added to the custom hooks (checkpoints
      carry the random generators of the main process);
    - the training sampler seeds each sample (:func:`seed_each_sample`), so
      DataLoader workers draw the augmentations of an uninterrupted run;
    - checkpoints are written atomically (temporary file, then rename:
      :func:`mmwsss.engine.checkpoints.make_checkpoints_atomic`);
    - images and label maps load with clear errors
      (:func:`use_checked_loaders`);
    - the run gets a visualizer of its own; backends may be given as type
      names, and TensorBoard without its package stops with the fix
      (:func:`mmwsss.engine.vis_backends.prepare_vis_backends`).
    """
    prepare_vis_backends(cfg)
    if cfg.get('visualizer') is not None:
        # mmengine keeps visualizers by name in a process-wide table: runs
        # sharing the configs' name 'visualizer' would log into the first
        # run's scalars.json
        name = cfg.visualizer.get('name', 'visualizer')
        cfg.visualizer['name'] = f'{name}_{next(_RUN_IDS)}_{os.getpid()}'
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(h.get('type') == 'RandomStateHook' for h in hooks):
        cfg.custom_hooks = hooks + [dict(type='RandomStateHook')]
    seed_each_sample(cfg)
    use_checked_loaders(cfg)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else \
        RUNNERS.build(cfg)
    make_checkpoints_atomic(runner)
    return runner
