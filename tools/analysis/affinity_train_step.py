"""One CPU training step of AffinityNet or IRNet for
``benchmark_random_walk.py`` (a helper module, not a command).

The model is built from its config without pretrained weights (random
init) and trained with the config's optimiser on a batch of random 375 x 500
images. Their labels come from synthetic blob CAMs through the config's own
training pipeline (loading transforms dropped, crop size overridden):
AffinityNet gets two CRF-like posterior maps, [(1 - max CAM)^alpha; CAMs]
normalised per pixel at alpha 4 and 32 (psa's low / high background
powers), so ``CRFAffinityLabel`` cuts real pair labels; IRNet gets an IR
label (class where max CAM > 0.3, background below 0.05, 255 between), so
``PathPairLabels`` does.
"""
import random

import numpy as np
import random_walk_cases as cases
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper

from mmwsss.engine import without_pretrained
from mmwsss.registry import MODELS, TRANSFORMS
from mmwsss.utils import register_all_modules

IMAGE = (375, 500)
LOADERS = ('LoadImageFromFile', 'LoadCRFScorePair', 'LoadIRLabel')
CRF_ALPHAS = (4, 32)
IR_THRESHOLDS = (0.05, 0.3)  # background below, foreground above


def crf_score_pair(cams: np.ndarray) -> np.ndarray:
    """(2(K+1), H, W) float32: the low and high background-power maps."""
    maps = []
    for alpha in CRF_ALPHAS:
        scores = np.concatenate([(1 - cams.max(0, keepdims=True))**alpha,
                                 cams])
        maps.append(scores / scores.sum(0, keepdims=True))
    return np.concatenate(maps).astype(np.float32)


def ir_label(cams: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """(H, W) uint8: key + 1, 0 (background) or 255 (unsure)."""
    top = cams.max(0)
    label = (keys[cams.argmax(0)] + 1).astype(np.uint8)
    label[top <= IR_THRESHOLDS[1]] = 255
    label[top < IR_THRESHOLDS[0]] = 0
    return label


def raw_sample(model: str, seed: int) -> dict:
    """A random image with blob labels, as the loading transforms leave
    the results dict."""
    rng = np.random.default_rng(seed)
    params = cases.blob_params(seed)
    cams = cases.render_cams(params, IMAGE)
    results = dict(
        img=rng.integers(0, 256, (*IMAGE, 3), dtype=np.uint8),
        img_shape=IMAGE,
        ori_shape=IMAGE,
        img_path=f'random_{seed}.jpg',
        sample_idx=seed)
    if model == 'affinitynet':
        results.update(
            crf_scores=crf_score_pair(cams), crf_keys=params['keys'])
    else:
        results['ir_label'] = ir_label(cams, params['keys'])
    return results


def training_pipeline(cfg: Config, crop: int) -> list:
    """The config's transforms after loading, at crop size ``crop``."""
    steps = []
    for step in cfg.train_pipeline:
        step = dict(step)
        if step['type'] in LOADERS:
            continue
        if 'crop_size' in step:
            step['crop_size'] = crop
        steps.append(TRANSFORMS.build(step))
    return steps


def build(config: str, model: str, batch: int, crop: int, seed: int = 0):
    """(model, optim wrapper, collated batch) of one training step."""
    if model == 'irnet' and crop % 4:
        raise ValueError(f'IRNet crops must be multiples of 4, got {crop}')
    MMLogger.get_instance('benchmark_random_walk', log_level='WARNING')
    register_all_modules()
    cfg = Config.fromfile(config)
    model_cfg = without_pretrained(cfg.model.to_dict())
    if model == 'irnet':  # the loss's path index is built for the crop
        model_cfg['loss']['crop_size'] = (crop // 4, crop // 4)
    torch.manual_seed(seed)
    net = MODELS.build(model_cfg)
    net.init_weights()
    net.train()
    optim_wrapper = build_optim_wrapper(net, cfg.optim_wrapper)
    pipeline = training_pipeline(cfg, crop)
    random.seed(seed)
    np.random.seed(seed)
    samples = []
    for index in range(batch):
        results = raw_sample(model, seed + index)
        for step in pipeline:
            results = step(results)
        samples.append(results)
    return net, optim_wrapper, pseudo_collate(samples)


def train_case(job: dict) -> dict:
    """Seconds and peak RSS (MiB above the built model and batch; and the
    process total) of one forward + backward + SGD step."""
    net, optim_wrapper, data = build(job['config'], job['model'],
                                     job['batch'], job['crop'])
    run = cases.timed_runs(lambda: net.train_step(data, optim_wrapper), 1)
    return dict(
        seconds=run['seconds'],
        peak_mb=run['peak_mb'],
        total_mb=cases.status_kib('VmHWM') / 1024,
        loss=float(run['out']['loss']))
