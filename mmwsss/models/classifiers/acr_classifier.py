"""ACRClassifier: a CAM classifier trained against a reconstructor."""
import contextlib
from typing import Dict, Iterator, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.dist import all_reduce, all_reduce_params, get_world_size
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmpretrain.structures import DataSample
from torch import Tensor

from mmwsss.registry import MODELS
from ..losses.acr_terms import (
    sample_srf_cells,
    sample_target_classes,
    srf_keep_probability,
)
from .cam_classifier import CAMClassifier

_PHASES = ('classifier', 'reconstructor')


@MODELS.register_module()
class ACRClassifier(CAMClassifier):
    """Classifier F and reconstructor G trained adversarially (ACR).

    Kweon, Yoon, Yoon, "Weakly Supervised Semantic Segmentation via
    Adversarial Learning of Classifier and Reconstructor", CVPR 2023;
    official code github.com/sangrockEG/ACR (``models/exp_recon_cvpr23.py``,
    ``training_step``). Every iteration, on one mini-batch:

    1. draw a target class t per image among its labels and the Stochastic
       Remnant Feeding (SRF) grid: s × s cells, each hidden with probability
       1 − q, q = clamp(keep_start − keep_step · epoch);
    2. reconstructor update (RU): F in eval mode gives the target CAM A_t
       without gradient; G (train mode) reconstructs the image from its
       features X masked by each segment plus the SRF remnants of the other;
       ``L_RU`` (``adversary.ru``) steps G only;
    3. classifier update (CU): G in eval mode gives X without gradient and
       its decoder is frozen; F (train mode) is trained on
       ``L_CU = BCE − λ_t L1(Î_t on 1[A_t = 0]) − λ_nt L1(Î_nt on A_t)``
       (``adversary.cu``): F gains when G fails to repaint the other
       segment; it steps F only.

    A step whose loss is not finite is skipped (the official code skips a
    NaN loss). With several processes the gradients of each phase are
    averaged across them here (``model_wrapper_cfg=dict(type=
    'MMSeparateDistributedDataParallel', ...)`` calls this ``train_step``;
    the submodule methods used here do not pass through DDP's forward).
    Inference (``val_step`` / ``predict``) uses F only, as
    :class:`CAMClassifier`; the checkpoint holds both networks.

    Args:
        backbone (dict): F's backbone, ResNet-38d in ACR.
        head (dict): F's CAM head, ACR: ``GAPHead(hidden_channels=256)``
            with the mean BCE-with-logits (``MultiLabelSoftMarginLoss``).
        reconstructor (dict): ``ACRReconstructor`` config (G).
        adversary (dict): ``ReconstructorAdversaryLoss`` config (the λ's).
        srf (dict, optional): ``cells``: an int s (official code: 16) or a
            pair (lo, hi) to draw s uniformly in {lo, ..., hi} every
            iteration (supplement: (16, 24)); ``keep_start`` (0.8) and
            ``keep_step`` (0.01) of q. The epoch comes from
            ``SRFScheduleHook`` through :attr:`srf_epoch`.
        neck, cam_cfg, data_preprocessor, init_cfg: as
            :class:`CAMClassifier`; ACR's CAMs: ``cam_cfg=dict(scales=(1.0,
            0.5, 1.5, 2.0), flip=True, resize_mode='bicubic',
            normalize='minmax')``.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 reconstructor: dict,
                 adversary: dict = dict(type='ReconstructorAdversaryLoss'),
                 srf: Optional[dict] = None,
                 neck: Optional[dict] = None,
                 cam_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            backbone=backbone,
            head=head,
            neck=neck,
            cam_cfg=cam_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.reconstructor = MODELS.build(reconstructor)
        self.adversary = MODELS.build(adversary)
        srf = {**dict(cells=16, keep_start=0.8, keep_step=0.01), **(srf or {})}
        unknown = set(srf) - {'cells', 'keep_start', 'keep_step'}
        if unknown:
            raise ValueError(f'srf: unknown keys {sorted(unknown)}; allowed: '
                             'cells, keep_start, keep_step')
        cells = srf['cells']
        cells = tuple(cells) if isinstance(cells, Sequence) else (cells,
                                                                  cells)
        if len(cells) != 2 or not all(
                int(c) == c and c >= 1 for c in cells) or cells[0] > cells[1]:
            raise ValueError(
                'srf.cells must be a positive int (official: 16) or a pair '
                f'lo <= hi (supplement: (16, 24)), got {srf["cells"]!r}')
        self.srf_cells = (int(cells[0]), int(cells[1]))
        self.srf_keep_start = float(srf['keep_start'])
        self.srf_keep_step = float(srf['keep_step'])
        # the SRF curriculum's epoch (0-based), set by SRFScheduleHook
        self.srf_epoch = 0

    # ------------------------------------------------------------------
    # submodules may be wrapped one by one in DDP by
    # MMSeparateDistributedDataParallel: reach the plain modules
    def _net(self, name: str) -> Optional[nn.Module]:
        module = getattr(self, name)
        return module.module if is_model_wrapper(module) else module

    @property
    def num_classes(self) -> int:
        return self._net('head').num_classes

    def extract_feat(self, inputs: Tensor) -> tuple:
        feats = self._net('backbone')(inputs)
        if isinstance(feats, Tensor):
            feats = (feats, )
        if self.neck is not None:
            feats = self._net('neck')(feats)
        return tuple(feats)

    def class_maps(self, inputs: Tensor) -> Tensor:
        return self._net('head').class_maps(self.extract_feat(inputs))

    def _forward(self, inputs: Tensor) -> Tensor:
        return self._net('head')(self.extract_feat(inputs))

    def loss(self, inputs: Tensor, data_samples: List[DataSample]) -> dict:
        raise RuntimeError(
            'ACRClassifier trains through train_step with two optimisers '
            "(optim_wrapper=dict(constructor='ACROptimWrapperConstructor', "
            'classifier=..., reconstructor=...)); mode="loss" has no single '
            'loss to return.')

    # ------------------------------------------------------------------
    def srf_keep(self) -> float:
        """q of the current :attr:`srf_epoch`."""
        return srf_keep_probability(self.srf_epoch, self.srf_keep_start,
                                    self.srf_keep_step)

    def srf_grid_size(self) -> int:
        """s: fixed, or drawn uniformly from the configured range."""
        low, high = self.srf_cells
        if low == high:
            return low
        return int(torch.randint(low, high + 1, (1, )))

    def _classifier_modules(self) -> Iterator[nn.Module]:
        for name in ('backbone', 'neck', 'head'):
            module = self._net(name)
            if module is not None:
                yield module

    def _set_modes(self, classifier: bool, reconstructor: bool) -> None:
        for module in self._classifier_modules():
            module.train(classifier)
        self._net('reconstructor').train(reconstructor)

    @contextlib.contextmanager
    def _frozen(self, module: nn.Module):
        """Parameters of ``module`` without gradient for the block."""
        params = [p for p in module.parameters() if p.requires_grad]
        for param in params:
            param.requires_grad_(False)
        try:
            yield
        finally:
            for param in params:
                param.requires_grad_(True)

    @staticmethod
    def _step(optim_wrapper: OptimWrapper, loss: Tensor,
               params: List[nn.Parameter]) -> Tensor:
        """Back-propagate, average the gradients over processes and step
        unless the loss is not finite (on any process); returns 1 for a
        skipped step, else 0."""
        optim_wrapper.backward(loss)
        skipped = (~torch.isfinite(loss.detach())).float().reshape(1)
        if get_world_size() > 1:
            grads = []
            for param in params:
                if param.grad is None:
                    param.grad = torch.zeros_like(param)
                grads.append(param.grad)
            all_reduce_params(grads, op='mean')
            all_reduce(skipped, op='max')
        if not skipped.item():
            optim_wrapper.step()
        optim_wrapper.zero_grad()
        return skipped[0]

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """One ACR iteration: RU then CU on the same mini-batch.

        Returns:
            dict: the RU terms (``loss_ru`` and its parts), the CU terms
            (``loss_cu`` and its parts), ``srf_keep`` (q), and
            ``ru_skipped`` / ``cu_skipped`` (1 for a skipped step).
        """
        if not isinstance(optim_wrapper, OptimWrapperDict) or any(
                name not in optim_wrapper for name in _PHASES):
            raise TypeError(
                'ACRClassifier.train_step needs an OptimWrapperDict with '
                f'{_PHASES}; set optim_wrapper=dict(constructor='
                "'ACROptimWrapperConstructor', classifier=dict(...), "
                'reconstructor=dict(...)).')
        was_training = self.training
        data = self.data_preprocessor(data, True)
        img, labels = data['inputs'], self.targets(data['data_samples'])
        target = sample_target_classes(labels)
        keep = self.srf_keep()
        hidden = sample_srf_cells(img.shape[0], self.srf_grid_size(), keep,
                                  img.device)
        log_vars = self.reconstructor_update(
            img, labels, target, hidden, optim_wrapper['reconstructor'])
        log_vars.update(
            self.classifier_update(img, labels, target,
                                    optim_wrapper['classifier']))
        log_vars['srf_keep'] = torch.tensor(keep)
        self.train(was_training)
        return log_vars

    def reconstructor_update(self, img: Tensor, labels: Tensor,
                              target: Tensor, hidden: Tensor,
                              optim_wrapper: OptimWrapper) -> dict:
        """RU: step G on ``L_RU`` with F's CAMs as constants.

        Args:
            img (Tensor): normalised images (B, 3, H, W).
            labels (Tensor): multi-hot labels (B, C).
            target (Tensor): one-hot target classes (B, C).
            hidden (Tensor): SRF cells (B, 1, s, s), 1 = hidden.
            optim_wrapper (OptimWrapper): G's optimiser.

        Returns:
            dict: the RU terms and ``ru_skipped``; empty when every RU
            weight is 0 (G is then not trained).
        """
        rec = self._net('reconstructor')
        if not any(self.adversary.ru_weights.values()):
            return {}  # every RU weight 0 (an ablation): G is not trained
        optim_wrapper.zero_grad()
        self._set_modes(classifier=False, reconstructor=True)
        with torch.no_grad():
            cls_cams = self.class_maps(img)
        with optim_wrapper.optim_context(rec):
            feat, rec_cams = rec.features(img)
            terms = self.adversary.ru(rec.decode, img, labels, target, hidden,
                                      cls_cams, rec_cams, feat)
        params = [p for p in rec.parameters() if p.requires_grad]
        skipped = self._step(optim_wrapper, terms['loss_ru'], params)
        return dict(_detached(terms), ru_skipped=skipped)

    def classifier_update(self, img: Tensor, labels: Tensor,
                           target: Tensor,
                           optim_wrapper: OptimWrapper) -> dict:
        """CU: step F on ``L_CU`` with G frozen (arguments as
        :meth:`reconstructor_update`, without the SRF cells).

        Returns:
            dict: the CU terms and ``cu_skipped``.
        """
        rec = self._net('reconstructor')
        optim_wrapper.zero_grad()
        self._set_modes(classifier=True, reconstructor=False)
        with torch.no_grad():
            feat, _ = rec.features(img)
        params = [
            p for module in self._classifier_modules()
            for p in module.parameters() if p.requires_grad
        ]
        # G's weights get no gradient in CU (it still flows through G_D to
        # A_t), so no stale G gradient reaches the next RU
        with self._frozen(rec), optim_wrapper.optim_context(self):
            cls_cams = self._net('head').forward_train(
                self.extract_feat(img))['cams']
            terms = self.adversary.cu(rec.decode, img, labels, target,
                                      cls_cams, feat)
        skipped = self._step(optim_wrapper, terms['loss_cu'], params)
        return dict(_detached(terms), cu_skipped=skipped)


def _detached(terms: dict) -> Dict[str, Tensor]:
    """Scalar log values of a loss-term dict."""
    return {
        key: torch.as_tensor(value).detach().float().mean()
        for key, value in terms.items()
    }
