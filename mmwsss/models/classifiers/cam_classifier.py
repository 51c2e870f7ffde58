"""CAMClassifier: backbone (+ neck) + CAM head, trained with image labels."""
from typing import List, Optional, Sequence, Tuple

import torch
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

    ``mode='loss'`` returns the head's loss dict (multi-hot targets from
    ``gt_score``, see ``mmpretrain.ClsDataPreprocessor(to_onehot=True)``);
    ``mode='predict'`` returns data samples with ``pred_score`` (sigmoid of
    the logits, for mmpretrain's multi-label metrics), ``cam_labels`` (the K
    class indices the CAMs are for) and ``cams`` (K, H, W) in [0, 1] at the
    original image size, from :func:`multi_scale_cam`; ``mode='tensor'``
    returns the logits.

    Args:
        backbone (dict): backbone config, e.g. ``ResNet38d``, mmseg
            ``ResNetV1c`` or ``dict(type='mmpretrain.ResNet', ...)``.
        head (dict): CAM head config (``GAPHead``, ...), which owns the
            classification loss.
        neck (dict, optional): neck config.
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
                 cam_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)
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

    def loss(self, inputs: Tensor,
             data_samples: List[DataSample]) -> dict:
        return self.head.loss(
            self.extract_feat(inputs), self.targets(data_samples))

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
                multi_scale_cam(self.class_maps, inputs, **self.cam_cfg))
        return [
            multi_scale_cam(self.class_maps, inputs[i:i + 1, :, :h, :w],
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
