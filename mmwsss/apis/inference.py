"""Single-image inference with a CAM classifier, in the style of mmseg's
``init_model`` / ``inference_model``.

>>> model = init_model('configs/baseline/gap_r38tiny_toy.py', 'iter_1000.pth')
>>> out = inference_cams(model, 'data/toyvoc/JPEGImages/toy_000000.jpg')
>>> out['keys'], out['cams'].shape       # predicted classes, (K, H, W)

The segmentation network of stage 5 is a plain mmseg model: run it with
``mmseg.apis.init_model`` / ``inference_model`` (docs/en/user_guides/
inference.md).
"""
import copy
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate

from mmwsss.fileio import require_file
from mmwsss.registry import DATASETS, MODELS
from mmwsss.stages.cam_inference import load_config
from mmwsss.stages.cam_inference import load_model as _load_model
from mmwsss.utils import InvalidInputError

ImageType = Union[str, np.ndarray]
LabelType = Union[int, str]


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build the config's model (a CAM classifier), load a checkpoint and
    return it in eval mode with ``model.cfg`` (the config) and
    ``model.dataset_meta`` (``classes``: the foreground class names).

    Args:
        config (str | Config): the stage-1 config.
        checkpoint (str, optional): weights; a missing file raises
            :class:`~mmwsss.utils.MissingInputError` naming where to get
            one, a file that does not fit the model
            :class:`~mmwsss.utils.InvalidInputError`. Default: None (the
            freshly built weights, as mmseg's ``init_model``).
        device (str): e.g. ``'cpu'``, ``'cuda:0'``. Default: ``'cpu'``.
        cfg_options (dict, optional): settings to override, e.g.
            ``{'model.cam_cfg.scales': (1.0, 0.5)}``.
    """
    cfg = load_config(copy.deepcopy(config) if isinstance(config, Config)
                      else config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if checkpoint is None:
        model = MODELS.build(cfg.model).to(device).eval()
    else:
        model = _load_model(cfg, checkpoint, device)
    model.cfg = cfg
    model.dataset_meta = dict(classes=class_names(cfg, model))
    return model


def class_names(cfg: Config, model: Optional[torch.nn.Module] = None
                ) -> List[str]:
    """Foreground class names of a stage-1 config: the ``metainfo`` of its
    test (else train) dataset, else the dataset class's default. When they
    do not match ``model.num_classes``, ``'class_<i>'``."""
    names = None
    for loader in ('test_dataloader', 'train_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset')
        if not dataset:
            continue
        meta = dataset.get('metainfo') or {}
        names = meta.get('classes')
        if names is None and isinstance(dataset.get('type'), str):
            try:
                names = DATASETS.get(dataset['type']).METAINFO['classes']
            except (AttributeError, KeyError, TypeError):
                names = None
        if names is not None:
            break
    num = getattr(model, 'num_classes', None)
    if names is None or (num is not None and len(names) != num):
        return [f'class_{i}' for i in range(num or 0)]
    return list(names)


def resolve_labels(labels: Sequence[LabelType],
                   names: Sequence[str]) -> np.ndarray:
    """0-based class indices of ``labels`` (indices or class names).

    Raises:
        InvalidInputError: for an unknown name or an index out of range;
            the message lists the valid names.
    """
    keys = []
    for label in labels:
        if isinstance(label, str) and not label.isdigit():
            if label not in names:
                raise InvalidInputError(
                    f'Unknown class name {label!r}. Valid names: '
                    f'{", ".join(names)}.')
            keys.append(list(names).index(label))
            continue
        index = int(label)
        if not 0 <= index < len(names):
            raise InvalidInputError(
                f'Class index {index} is outside 0..{len(names) - 1}. '
                f'Valid names: {", ".join(names)}.')
        keys.append(index)
    return np.array(sorted(set(keys)), np.int64)


def _pipeline(cfg: Config, from_array: bool) -> Compose:
    """The test pipeline without its annotation loaders (an image alone
    has none); the image loader reads an array when ``from_array``."""
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    steps = copy.deepcopy(dataset.get('pipeline') or cfg.get('test_pipeline'))
    if not steps or 'LoadImage' not in str(steps[0].get('type', '')):
        raise InvalidInputError(
            'The config needs test_dataloader.dataset.pipeline (or '
            'test_pipeline) starting with an image loader, e.g. '
            "dict(type='LoadImageFromFile').")
    loader = dict(type='LoadImageFromNDArray') if from_array else steps[0]
    rest = [
        t for t in steps[1:] if not str(t.get('type', '')).startswith('Load')
    ]
    return Compose([loader] + rest)


@torch.no_grad()
def inference_cams(model: torch.nn.Module,
                   image_or_path: ImageType,
                   labels: Optional[Sequence[LabelType]] = None) -> dict:
    """CAMs of one image with the model's own recipe.

    The image goes through the config's test pipeline and the model's data
    preprocessor; the CAMs are those of the classifier's CAM method
    (:func:`~mmwsss.models.utils.multi_scale_cam` with ``model.cam_cfg``,
    or a subclass's own, e.g. SEAM's), as in stage 2, resized to the
    image's size. Class probabilities are ``sigmoid(logits)``.

    Args:
        model: from :func:`init_model`.
        image_or_path (str | np.ndarray): an image file, or an (H, W, 3)
            uint8 array in BGR order (``mmcv.imread``, as mmseg's
            ``inference_model``).
        labels (sequence[int | str], optional): the classes to make CAMs
            for, as 0-based indices or names. Default: None, the predicted
            classes (probability ≥ the model's ``score_thr``, 0.5 unless
            ``cam_cfg`` sets it), and at least the most probable one.

    Returns:
        dict: ``cams`` float32 (K, H, W), in [0, 1] when ``cam_cfg``
        normalises (the default); ``keys`` int64 (K,)
        sorted class indices; ``names`` their class names; ``scores``
        float32 (C,) the probability of every class.
    """
    if not hasattr(model, '_cams') or not hasattr(model, 'cam_cfg'):
        raise InvalidInputError(
            f'{type(model).__name__} is not a CAM classifier. For a '
            'segmentation (mmseg) config use mmseg.apis.init_model and '
            'inference_model.')
    cfg = model.cfg
    names = model.dataset_meta['classes']
    if isinstance(image_or_path, np.ndarray):
        if image_or_path.ndim != 3 or image_or_path.shape[2] != 3:
            raise InvalidInputError(
                f'image of shape {image_or_path.shape}: pass an (H, W, 3) '
                'BGR array or an image path.')
        data = dict(img=image_or_path)
    else:
        require_file(str(image_or_path), 'Image', 'Check the path.')
        data = dict(img_path=str(image_or_path))
    data = _pipeline(cfg, isinstance(image_or_path, np.ndarray))(data)
    data = model.data_preprocessor(pseudo_collate([data]), False)
    inputs, samples = data['inputs'], data['data_samples']
    scores = model(inputs, mode='tensor').sigmoid()[0].float()
    if labels is None:
        keys = (scores >= getattr(model, 'score_thr', 0.5)).nonzero()
        keys = keys.flatten().cpu().numpy()
        if keys.size == 0:
            keys = np.array([int(scores.argmax())])
    else:
        keys = resolve_labels(labels, names)
    cams = model._cams(inputs, samples)[0][torch.as_tensor(keys)]
    ori_shape = tuple(samples[0].get('ori_shape', cams.shape[-2:]))[:2]
    if tuple(cams.shape[-2:]) != ori_shape:
        cams = F.interpolate(
            cams[None], size=ori_shape, mode='bilinear',
            align_corners=False)[0]
    keys = np.asarray(keys, np.int64)
    return dict(
        cams=cams.float().cpu().numpy(),
        keys=keys,
        names=[names[k] for k in keys],
        scores=scores.cpu().numpy().astype(np.float32))
