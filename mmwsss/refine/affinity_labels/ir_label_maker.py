"""IRN's training targets: IR labels from the CAMs (registered maker)."""
import numpy as np

from mmwsss.registry import TASK_UTILS
from ..utils import check_inputs
from .ir_label import IRN_LABEL_CRF, ir_label


@TASK_UTILS.register_module()
class IRLabelMaker:
    """Inter-pixel-relation labels of IRN (Ahn, Cho and Kwak, "Weakly
    Supervised Learning of Instance Segmentation with Inter-pixel
    Relations", CVPR 2019, arXiv:1904.05044;
    https://github.com/jiwoon-ahn/irn ``step/cam_to_ir_label.py``).

    With keys0 = [0, keys + 1] and, for t in (fg_thr, bg_thr),
    conf_t = keys0[argmax DenseCRF(argmax([t; CAMs]))] (label-unary CRF,
    gt_prob 0.7, kernels 3/3 and 50/5/10, 10 iterations):

        label = conf_fg     where conf_fg > 0
              = 0           where conf_fg = 0 and conf_bg = 0
              = 255         otherwise (unsure)

    Defaults are IRN's (fg 0.30, bg 0.05); RIB
    (https://github.com/jbeomlee93/RIB) and ACR use fg 0.35, bg 0.17. The
    CAMs are ordered by ascending key first (the official order, which
    decides argmax ties between classes).

    Args:
        fg_thr (float): the high threshold. Default: 0.30.
        bg_thr (float): the low threshold. Default: 0.05.
        crf (dict, optional): :func:`mmwsss.ops.dense_crf_labels` arguments
            to replace (``gt_prob``, ``n_iter``, kernel widths and weights).

    Call: ``maker(image (H, W, 3) uint8 RGB, cams (K, H, W), keys (K,))``
    → uint8 (H, W) with 0 background, class + 1 and 255 unsure; written by
    the affinity-label stage as ``<id>.png``.
    """

    #: file suffix of one image's output
    suffix = '.png'

    def __init__(self,
                 fg_thr: float = 0.30,
                 bg_thr: float = 0.05,
                 crf: dict = None) -> None:
        fg_thr, bg_thr = float(fg_thr), float(bg_thr)
        if not bg_thr <= fg_thr:
            raise ValueError(
                f'IRLabelMaker needs bg_thr <= fg_thr, got bg_thr={bg_thr}, '
                f'fg_thr={fg_thr} (e.g. IRN 0.05 / 0.30, RIB 0.17 / 0.35)')
        unknown = set(crf or {}) - set(IRN_LABEL_CRF)
        if unknown:
            raise ValueError(f'unknown crf options {sorted(unknown)}; valid: '
                             f'{sorted(IRN_LABEL_CRF)}')
        self.fg_thr, self.bg_thr = fg_thr, bg_thr
        self.crf = dict(IRN_LABEL_CRF)
        self.crf.update(crf or {})

    def __call__(self, image: np.ndarray, cams: np.ndarray,
                 keys: np.ndarray) -> np.ndarray:
        cams, keys = check_inputs(image, cams, keys)
        order = np.argsort(keys, kind='stable')
        return ir_label(image, cams[order], keys[order], self.fg_thr,
                        self.bg_thr, self.crf)['label']

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(fg_thr={self.fg_thr}, '
                f'bg_thr={self.bg_thr}, crf={self.crf})')
