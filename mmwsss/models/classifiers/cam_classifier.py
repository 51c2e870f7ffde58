"""CAMClassifier: backbone (+ neck) + CAM head, trained with image labels."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmpretrain.structures import DataSample
from torch import Tensor

from mmwsss.registry import MODELS
from ..utils import multi_scale_cam

_CAM_KEYS = ('scales', 'flip', 'resize_mode', 'relu_before_upsample',
             'normalize', 'eps')


@MODELS.register_module()
class CAMClassifier(BaseModel):
    """Image-level classifier whose class maps are the CAMs (stage 1 + 2).

    ``mode='loss'`` returns the head's classification loss plus the plug-in
    ``losses`` (multi-hot targets from ``gt_score``, see
    ``mmpretrain.ClsDataPreprocessor(to_onehot=True)``);
    ``mode='predict'`` returns data samples with ``pred_score`` (sigmoid of
    the logits, for mmpretrain's multi-label metrics), ``cam_labels`` (the K
    class indices the CAMs are for) and ``cams`` (K, H, W) in [0, 1] at the
    original image size, from :func:`multi_scale_cam`; ``mode='tensor'``
    returns the logits.

    Args:
        backbone (dict): backbone config, e.g. ``ResNet38d``, mmseg
            ``ResNetV1c`` or ``dict(type='mmpretrain.ResNet', ...)``.
        head (dict): CAM head config (``GAPHead``, ``GPPHead``, ...), which
            owns the classification loss.
        neck (dict, optional): neck config.
        losses (list[dict], optional): plug-in losses added to the
            classification loss, e.g. ``FeatureSimilarityLoss``. Each names
            the training outputs it needs in its ``inputs`` attribute and is
            called as ``loss(**{key: outputs[key] for key in loss.inputs})``;
            see :meth:`train_outputs` for the keys. Default: none.
        cam_cfg (dict, optional): CAM inference settings: the arguments of
            :func:`multi_scale_cam` (``scales``, ``flip``, ``resize_mode``,
            ``relu_before_upsample``, ``normalize``, ``eps``) and
            ``label_source``: ``'gt'`` (default) makes CAMs for the image's
            ground-truth classes, falling back to predicted classes
            (``sigmoid ≥ score_thr``, default 0.5) for an image without
            labels; ``'pred'`` always uses predicted classes.
        data_preprocessor (dict, optional): e.g.
            ``dict(type='mmpretrain.ClsDataPreprocessor', to_onehot=True,
            num_classes=20, ...)``.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 neck: Optional[dict] = None,
                 losses: Optional[List[dict]] = None,
                 cam_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)
        self.losses = nn.ModuleList(MODELS.build(cfg) for cfg in losses or [])
        names = [loss.loss_name for loss in self.losses]
        head_loss = getattr(self.head, 'loss_cls', None)
        if len(set(names)) != len(names) or getattr(
                head_loss, 'loss_name', None) in names:
            raise ValueError(
                f'losses: the loss names {names} must be unique and differ '
                'from the head\'s classification loss; set loss_name=...')
        cam_cfg = dict(cam_cfg or {})
        self.label_source = cam_cfg.pop('label_source', 'gt')
        self.score_thr = cam_cfg.pop('score_thr', 0.5)
        unknown = set(cam_cfg) - set(_CAM_KEYS)
        if unknown or self.label_source not in ('gt', 'pred'):
            raise ValueError(
                f'cam_cfg: unknown keys {sorted(unknown)} or label_source '
                f'"{self.label_source}" not in ("gt", "pred"); allowed keys: '
                f'{_CAM_KEYS + ("label_source", "score_thr")}')
        self.cam_cfg = cam_cfg

    @property
    def num_classes(self) -> int:
        return self.head.num_classes

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """Backbone (+ neck) features as a tuple."""
        feats = self.backbone(inputs)
        if isinstance(feats, Tensor):
            feats = (feats, )
        if self.neck is not None:
            feats = self.neck(feats)
        return tuple(feats)

    def class_maps(self, inputs: Tensor) -> Tensor:
        """Raw class maps (B, C, h, w) of normalised images."""
        return self.head.class_maps(self.extract_feat(inputs))

    def cam_maps(self, inputs: Tensor) -> Tensor:
        """The maps the CAMs are made of (default: :meth:`class_maps`)."""
        return self.class_maps(inputs)

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs)
        raise RuntimeError(f'Invalid mode "{mode}": use loss/predict/tensor')

    def _forward(self, inputs: Tensor) -> Tensor:
        return self.head(self.extract_feat(inputs))

    @staticmethod
    def targets(data_samples: Sequence[DataSample]) -> Tensor:
        """Stack the multi-hot ``gt_score`` of the samples into (B, C)."""
        if not data_samples or 'gt_score' not in data_samples[0]:
            raise ValueError(
                'CAM classifiers need multi-hot image labels: set '
                "data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor',"
                ' to_onehot=True, num_classes=C) and give every image a '
                'gt_label.')
        return torch.stack([s.gt_score for s in data_samples]).float()

    def train_outputs(self, inputs: Tensor, targets: Tensor) -> dict:
        """Everything a training loss may need from one forward pass.

        Keys: those of the head's ``forward_train`` (``cams``: raw signed
        class maps (B, C, h, w); ``logits`` (B, C); head extras such as
        GPP's ``gpp_map``), ``labels`` (B, C) multi-hot, ``images`` (the
        normalised input) and ``rgb_images`` (the input de-normalised to RGB
        in [0, 1], no gradient).
        """
        outputs = self.head.forward_train(self.extract_feat(inputs))
        outputs.update(
            images=inputs,
            labels=targets,
            rgb_images=self.denormalize(inputs))
        return outputs

    def denormalize(self, inputs: Tensor) -> Tensor:
        """Undo the data preprocessor's ``(x - mean) / std``: RGB in
        [0, 1] (inputs are taken as 0-255 when it does not normalise)."""
        inputs = inputs.detach()
        if getattr(self.data_preprocessor, '_enable_normalize', False):
            inputs = inputs * self.data_preprocessor.std + \
                self.data_preprocessor.mean
        return (inputs / 255).clamp(0, 1)

    def loss(self, inputs: Tensor,
             data_samples: List[DataSample]) -> dict:
        targets = self.targets(data_samples)
        outputs = self.train_outputs(inputs, targets)
        losses = self.head.loss(outputs, targets)
        losses.update(self.plugin_losses(outputs))
        return losses

    def plugin_losses(self, outputs: dict) -> Dict[str, Tensor]:
        """Evaluate every plug-in loss on the training ``outputs``: a loss
        returns one tensor (stored under its ``loss_name``) or a dict of
        named terms."""
        losses = {}
        for loss in self.losses:
            missing = [key for key in loss.inputs if key not in outputs]
            if missing:
                raise ValueError(
                    f'{type(loss).__name__} needs the training outputs '
                    f'{missing}, which {type(self).__name__} with '
                    f'{type(self.head).__name__} does not provide (it has '
                    f'{sorted(outputs)}).')
            value = loss(**{key: outputs[key] for key in loss.inputs})
            if isinstance(value, dict):  # several named terms
                losses.update(value)
            else:
                losses[loss.loss_name] = value
        return losses

    def _cam_labels(self, sample: DataSample, score: Tensor) -> Tensor:
        if self.label_source == 'gt' and 'gt_score' in sample:
            labels = sample.gt_score.nonzero().flatten()
            if labels.numel():
                return labels
        return (score >= self.score_thr).nonzero().flatten()

    def _cams(self, inputs: Tensor,
              data_samples: List[DataSample]) -> List[Tensor]:
        """All-class CAMs of each sample, cropped to its ``img_shape``."""
        full = tuple(inputs.shape[-2:])
        shapes = [tuple(s.get('img_shape', full))[:2] for s in data_samples]
        if all(shape == full for shape in shapes):
            return list(
                multi_scale_cam(self.cam_maps, inputs, **self.cam_cfg))
        return [
            multi_scale_cam(self.cam_maps, inputs[i:i + 1, :, :h, :w],
                            **self.cam_cfg)[0]
            for i, (h, w) in enumerate(shapes)
        ]

    @torch.no_grad()
    def predict(self,
                inputs: Tensor,
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        if data_samples is None:
            data_samples = [DataSample() for _ in range(inputs.shape[0])]
        scores = self._forward(inputs).sigmoid()
        for sample, score, cams in zip(data_samples, scores,
                                       self._cams(inputs, data_samples)):
            labels = self._cam_labels(sample, score)
            cams = cams[labels]
            ori_shape = tuple(sample.get('ori_shape', cams.shape[-2:]))[:2]
            if tuple(cams.shape[-2:]) != ori_shape:
                cams = F.interpolate(
                    cams[None], size=ori_shape, mode='bilinear',
                    align_corners=False)[0]
            sample.set_pred_score(score)
            sample.set_field(labels, 'cam_labels')
            sample.set_field(cams, 'cams')
        return data_samples
