"""BANAClassifier: BANA stage 1, a box classifier with background-aware
pooling (Oh, Kim, Ham, "Background-Aware Pooling and Noise-Aware Loss for
Weakly-Supervised Semantic Segmentation", CVPR 2021, arXiv:2104.00905;
official code https://github.com/cvlab-yonsei/BANA)."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample
from torch import Tensor

from mmwsss.registry import MODELS
from .cam_classifier import CAMClassifier


@MODELS.register_module()
class BANAClassifier(CAMClassifier):
    """Backbone + :class:`BAPHead` trained on box and background samples.

    ``mode='loss'`` reads, from every data sample (as packed by
    ``PackBoxInputs``):

    - ``gt_bboxes`` (n, 4) float: x0, y0, x1, y1 in pixels of the network
      input (after augmentation, BANA's conventions);
    - ``gt_bboxes_labels`` (n,) int: 0-based foreground labels;
    - ``bg_mask`` (H, W): the definite-background mask, 1 outside every
      box, aligned with the input (padded with 0 when the data
      preprocessor pads the image);

    and returns the head's CE over the BAP sample set plus the
    plug-in ``losses``. ``mode='predict'`` / ``'tensor'`` are those of
    :class:`CAMClassifier` (CAMs are the foreground maps ``w_c · f`` of
    the bias-free dot-product classifier of the official stage 1); when every
    sample carries its boxes and mask (the test pipeline packs them), each
    sample also gets ``pred_box_classes`` (n_b,): the argmax over the L + 1
    classes (0 = background, c + 1 = class c) of the box's BAP feature,
    averaged over its bins, for :class:`BoxAccuracy`.

    Training outputs for plug-in losses (:meth:`train_outputs`): the
    :class:`CAMClassifier` keys (``cams``, ``logits``, ``labels``,
    ``images``, ``rgb_images``) plus the head's (``feats``,
    ``bg_queries``, ``bg_valid``, ``valid_bg``, ``use_attention``,
    ``box_feats``, ``box_img_idx``, ``box_classes``, ``attention``,
    ``sample_logits``, ``sample_targets``) and ``boxes``, ``box_labels``,
    ``bg_masks``. ``labels`` is the multi-hot ``gt_score`` when present,
    otherwise the classes of the image's boxes.

    Args:
        backbone, head, neck, losses, cam_cfg, data_preprocessor, init_cfg:
            as :class:`CAMClassifier`; ``head`` is a :class:`BAPHead`.
        bgr_inputs (bool): the normalised inputs are in BGR order (Caffe
            normalisation without ``to_rgb``, as BANA), so ``rgb_images``
            flips the channels. Default: False.
        box_key, label_key, mask_key (str): data-sample fields of the
            boxes, their labels and the background mask. Defaults:
            ``'gt_bboxes'``, ``'gt_bboxes_labels'``, ``'bg_mask'``.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 neck: Optional[dict] = None,
                 losses: Optional[List[dict]] = None,
                 cam_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 bgr_inputs: bool = False,
                 box_key: str = 'gt_bboxes',
                 label_key: str = 'gt_bboxes_labels',
                 mask_key: str = 'bg_mask',
                 init_cfg: Optional[dict] = None):
        super().__init__(
            backbone=backbone,
            head=head,
            neck=neck,
            losses=losses,
            cam_cfg=cam_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.bgr_inputs = bgr_inputs
        self.box_key, self.label_key = box_key, label_key
        self.mask_key = mask_key

    def box_targets(
        self, inputs: Tensor, data_samples: Sequence[DataSample]
    ) -> Tuple[List[Tensor], List[Tensor], Tensor]:
        """Boxes, labels (lists over images) and masks (B, H, W) on the
        device of ``inputs``; masks are zero-padded to the input size."""
        height, width = inputs.shape[-2:]
        boxes, labels, masks = [], [], []
        for i, sample in enumerate(data_samples):
            missing = [
                key for key in (self.box_key, self.label_key, self.mask_key)
                if key not in sample
            ]
            if missing:
                raise KeyError(
                    f'BANAClassifier: data sample {i} lacks {missing}; pack '
                    'the training data with LoadBoxBackgroundMask and '
                    'PackBoxInputs.')
            box = torch.as_tensor(sample.get(self.box_key))
            boxes.append(box.to(inputs.device).float().reshape(-1, 4))
            label = torch.as_tensor(sample.get(self.label_key))
            labels.append(label.to(inputs.device).long().reshape(-1))
            mask = torch.as_tensor(sample.get(self.mask_key))
            mask = mask.to(inputs.device).reshape(mask.shape[-2:])
            if mask.shape[0] > height or mask.shape[1] > width:
                raise ValueError(f'bg_mask {tuple(mask.shape)} is larger '
                                 f'than the input ({height}, {width})')
            masks.append(
                F.pad(mask, (0, width - mask.shape[1], 0,
                             height - mask.shape[0])))
        return boxes, labels, torch.stack(masks)

    def image_targets(self, data_samples: Sequence[DataSample],
                      box_labels: Sequence[Tensor]) -> Tensor:
        """Multi-hot image labels (B, L): ``gt_score`` when every sample has
        one, otherwise the classes of the boxes."""
        if data_samples and all('gt_score' in s for s in data_samples):
            return self.targets(data_samples)
        targets = box_labels[0].new_zeros(
            len(box_labels), self.num_classes, dtype=torch.float32)
        for target, labels in zip(targets, box_labels):
            target[labels] = 1
        return targets

    def train_outputs(self,
                      inputs: Tensor,
                      targets: Tensor,
                      boxes: Optional[List[Tensor]] = None,
                      box_labels: Optional[List[Tensor]] = None,
                      bg_masks: Optional[Tensor] = None) -> dict:
        """One forward pass and the BAP sample set (see the class doc)."""
        if boxes is None or box_labels is None or bg_masks is None:
            raise ValueError('BANAClassifier.train_outputs needs boxes, '
                             'box_labels and bg_masks')
        outputs = self.head.forward_train(
            self.extract_feat(inputs), boxes, box_labels, bg_masks)
        outputs.update(
            images=inputs,
            labels=targets,
            rgb_images=self.denormalize(inputs),
            boxes=boxes,
            box_labels=box_labels,
            bg_masks=bg_masks)
        return outputs

    @torch.no_grad()
    def predict(self,
                inputs: Tensor,
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        samples = super().predict(inputs, data_samples)
        keys = (self.box_key, self.label_key, self.mask_key)
        if not data_samples or not all(
                key in sample for sample in samples for key in keys):
            return samples
        boxes, labels, masks = self.box_targets(inputs, samples)
        outputs = self.head.forward_train(
            self.extract_feat(inputs), boxes, labels, masks)
        logits = outputs['box_feats'].mean(dim=1) @ self.head.weight.t()
        preds = logits.argmax(dim=1)
        for i, sample in enumerate(samples):
            sample.set_field(preds[outputs['box_img_idx'] == i],
                             'pred_box_classes')
        return samples

    def box_features(self, inputs: Tensor) -> Tensor:
        """The feature map f (B, K, h, w) the head classifies: the input
        of BANA's stage 2, with ``head.weight``."""
        return self.head._select(self.extract_feat(inputs))

    def denormalize(self, inputs: Tensor) -> Tensor:
        """RGB in [0, 1]; flips BGR inputs when ``bgr_inputs``."""
        rgb = super().denormalize(inputs)
        return rgb.flip(1) if self.bgr_inputs else rgb

    def loss(self, inputs: Tensor, data_samples: List[DataSample]) -> dict:
        boxes, labels, masks = self.box_targets(inputs, data_samples)
        targets = self.image_targets(data_samples, labels)
        outputs = self.train_outputs(inputs, targets, boxes, labels, masks)
        losses = self.head.loss(outputs, targets)
        losses.update(self.plugin_losses(outputs))
        return losses
