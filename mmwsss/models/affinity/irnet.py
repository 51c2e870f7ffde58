"""IRNet: ResNet-50 stages + IRN head, trained on inter-pixel relations."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import Tensor

from mmwsss.registry import MODELS
from mmwsss.utils.errors import InvalidInputError

_UNSET = object()
_PAIR_FIELDS = ('bg_pos', 'fg_pos', 'neg')


def _term_name(key: str) -> str:
    """A loss term's log name without the word 'loss' (mmengine's
    ``parse_losses`` adds every key containing it to the total)."""
    name = '_'.join(p for p in key.split('_') if p != 'loss')
    return name.replace('loss', 'l') or 'term'


@MODELS.register_module()
class IRNet(BaseModel):
    """IRN's network: class-boundary and displacement branches on ResNet-50.

    Ahn, Cho, Kwak, "Weakly Supervised Learning of Instance Segmentation with
    Inter-pixel Relations", CVPR 2019, arXiv:1904.05044; official code
    https://github.com/jiwoon-ahn/irn (``net/resnet50_irn.py``,
    ``step/train_irn.py``); RIB (https://github.com/jbeomlee93/RIB) and ACR
    train the same network.

    ``mode='loss'`` stacks the pair labels ``bg_pos``, ``fg_pos``, ``neg``
    (B, n_dirs, n_src) of the data samples (``PathPairLabels`` +
    ``PackAffinityInputs``) and returns the loss module's dict: ``loss`` is
    the total L = (L_pos + L_neg)/2 + (L_dfg + L_dbg)/2 of
    ``AffinityDisplacementLoss``; the individual terms are returned detached
    under names without the word "loss", so mmengine optimises (and logs as
    ``loss``) the total only. ``mode='tensor'`` returns (edge_logits
    (B, 1, h, w), displacement (B, 2, h, w)) at stride 4; ``'predict'`` is
    not supported (the random-walk refiner calls :meth:`edge_map`).

    Args:
        backbone (dict): e.g. ``ResNet50Stages`` (frozen, ImageNet weights).
        head (dict): ``IRNHead`` config.
        loss (dict): ``AffinityDisplacementLoss`` config.
        data_preprocessor (dict, optional): ``ImgDataPreprocessor`` with the
            ImageNet mean/std (RGB, 0-255) and ``bgr_to_rgb=True``.
        pad_to (int | None): :meth:`edge_map` input size. 512 (official):
            image and mirror are zero-padded (after normalisation, i.e. with
            the mean colour) right/bottom to 512 x 512, so GroupNorm sees the
            padding; a larger image raises. None: no padding (the stride-4
            output of an H x W input is already ((H-1)//4+1, (W-1)//4+1)).
            Default: 512.
        flip (bool): :meth:`edge_map` averages the logits of the image and
            of its mirror (official). Default: True.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 loss: dict,
                 data_preprocessor: Optional[dict] = None,
                 pad_to: Optional[int] = 512,
                 flip: bool = True,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head)
        self.loss_fn = MODELS.build(loss)
        self._check_pad_to(pad_to)
        self.pad_to = pad_to
        self.flip = bool(flip)

    @staticmethod
    def _check_pad_to(pad_to) -> None:
        if pad_to is not None and (isinstance(pad_to, bool) or
                                   not isinstance(pad_to, int) or
                                   pad_to < 1):
            raise ValueError(
                f'pad_to must be a positive int or None, got {pad_to!r}')

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """The backbone's (x1, ..., x5)."""
        return tuple(self.backbone(inputs))

    def _forward(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
        return self.head(self.extract_feat(inputs))

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[Sequence] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs)
        if mode == 'predict':
            raise RuntimeError(
                'IRNet has no predict mode: it is trained with mode="loss" '
                'and used through IRNet.edge_map(image) by the '
                'IRNRandomWalkRefiner (configure the run without a '
                'val/test loop: val_cfg=None, val_dataloader=None, '
                'val_evaluator=None).')
        raise RuntimeError(f'Invalid mode "{mode}": use loss/tensor')

    @staticmethod
    def pair_labels(data_samples: Optional[Sequence],
                    like: Tensor) -> List[Tensor]:
        """[bg_pos, fg_pos, neg], each stacked to (B, n_dirs, n_src)."""
        if not data_samples or any(
                field not in sample for sample in data_samples
                for field in _PAIR_FIELDS):
            raise InvalidInputError(
                'IRNet training needs pair labels bg_pos, fg_pos and neg in '
                'every data sample: end the train pipeline with '
                "dict(type='PathPairLabels', ...) and "
                "dict(type='PackAffinityInputs').")
        return [
            torch.stack([torch.as_tensor(s.get(field))
                         for s in data_samples]).to(like)
            for field in _PAIR_FIELDS
        ]

    def loss(self, inputs: Tensor,
             data_samples: Sequence) -> Dict[str, Tensor]:
        """Total loss under ``loss``; the terms detached, renamed."""
        edge_logits, displacement = self._forward(inputs)
        bg_pos, fg_pos, neg = self.pair_labels(data_samples, edge_logits)
        out = self.loss_fn(edge_logits, displacement, bg_pos, fg_pos, neg)
        losses = dict(loss=out['loss'])
        for key, value in out.items():
            if key != 'loss' and isinstance(value, Tensor):
                losses[_term_name(key)] = value.detach()
        return losses

    def _normalize(self, image: np.ndarray) -> Tensor:
        """(1, 3, H, W) float32 of an RGB uint8 image, normalised as the
        data preprocessor does with images loaded by LoadImageFromFile."""
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3:
            raise InvalidInputError(
                f'edge_map needs an (H, W, 3) RGB image, got shape '
                f'{image.shape}')
        prep = self.data_preprocessor
        if not getattr(prep, '_channel_conversion', True):
            image = image[..., ::-1]  # trained on BGR (no bgr_to_rgb)
        x = torch.from_numpy(np.ascontiguousarray(image, np.float32))
        x = x.permute(2, 0, 1)[None].to(self._device())
        if getattr(prep, '_enable_normalize', False):
            x = (x - prep.mean) / prep.std
        return x

    def _device(self) -> torch.device:
        return next(iter(self.parameters())).device

    @torch.no_grad()
    def edge_map(self, image: np.ndarray, pad_to=_UNSET,
                 flip=_UNSET) -> Dict[str, Tensor]:
        """Class-boundary map of one image at stride 4 (IRN's
        ``EdgeDisplacement``).

        x = [img; mirror(img)] normalised, zero-padded right/bottom to
        ``pad_to`` (mean colour); logits L = edge logits of the batch; with
        (h4, w4) = ((H-1)//4+1, (W-1)//4+1) the edge map is
        B = sigmoid(L0[:h4, :w4] / 2 + flip(L1[:h4, :w4]) / 2): each pass is
        cropped first and the mirror's logits are flipped back after the
        crop, so for a width that is not a multiple of 4 the mirror pass is
        shifted by 4*w4 - W pixels (as in the official code). Without
        ``flip``: B = sigmoid(L0[:h4, :w4]). Runs in eval mode (restored
        afterwards), without gradients.

        Args:
            image (np.ndarray): (H, W, 3) uint8 RGB.
            pad_to (int | None): overrides the model's ``pad_to``.
            flip (bool): overrides the model's ``flip``.

        Returns:
            dict: ``edge`` (h4, w4) float32 in [0, 1] and ``logits``
            (2, 1, h', w') raw logits of the padded image and of its
            un-flipped mirror pass ((1, 1, h', w') without ``flip``), both on
            the model's device.
        """
        pad_to = self.pad_to if pad_to is _UNSET else pad_to
        flip = self.flip if flip is _UNSET else bool(flip)
        self._check_pad_to(pad_to)
        x = self._normalize(image)
        height, width = x.shape[-2:]
        if pad_to is not None and max(height, width) > pad_to:
            raise InvalidInputError(
                f'edge_map: the image ({height}x{width}) is larger than '
                f'pad_to={pad_to}; set the IRNet option pad_to=None (no '
                'padding) or a larger pad_to.')
        if flip:
            x = torch.cat([x, x.flip(-1)], dim=0)
        if pad_to is not None:
            x = F.pad(x, [0, pad_to - width, 0, pad_to - height], value=0.0)
        h4, w4 = (height - 1) // 4 + 1, (width - 1) // 4 + 1
        was_training = self.training
        self.eval()
        try:
            logits = self._forward(x)[0].float()
        finally:
            self.train(was_training)
        cropped = logits[:, 0, :h4, :w4]
        if flip:
            edge = torch.sigmoid(cropped[0] / 2 + cropped[1].flip(-1) / 2)
        else:
            edge = torch.sigmoid(cropped[0])
        return dict(edge=edge, logits=logits)
