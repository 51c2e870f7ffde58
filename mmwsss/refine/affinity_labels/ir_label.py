"""IRN's inter-pixel-relation labels: confident foreground and background
from two CAM thresholds, each cleaned by a label-unary dense CRF."""
from typing import Optional

import numpy as np

from mmwsss.ops import dense_crf_labels

#: IRN's label CRF (``misc/imutils.crf_inference_label``)
IRN_LABEL_CRF = dict(gt_prob=0.7, n_iter=10, gaussian_sxy=3,
                     gaussian_compat=3, bilateral_sxy=50, bilateral_srgb=5,
                     bilateral_compat=10)


def ir_label(image: np.ndarray,
             cams: np.ndarray,
             keys: np.ndarray,
             fg_thr: float,
             bg_thr: float,
             crf: Optional[dict] = None) -> dict:
    """IR label of one image (Ahn, Cho and Kwak, "Weakly Supervised
    Learning of Instance Segmentation with Inter-pixel Relations", CVPR
    2019, arXiv:1904.05044; https://github.com/jiwoon-ahn/irn
    ``step/cam_to_ir_label.py``).

    For t in (fg_thr, bg_thr), with keys0 = [0, key_1 + 1, ..., key_K + 1]:

        idx_t  = argmax([t; CAMs])       (the constant first: ties -> bg)
        pred_t = argmax DenseCRF(idx_t)  (unary -log 0.7 on idx_t,
                                          -log(0.3 / K) elsewhere)
        conf_t = keys0[pred_t]

    label = conf_fg where conf_fg > 0; 0 where conf_fg = conf_bg = 0; 255
    (unsure) where only the low threshold says foreground. A pixel that the
    high threshold calls class c keeps c whatever the low one says.

    Args:
        image (np.ndarray): (H, W, 3) uint8 RGB.
        cams (np.ndarray): (K, H, W) full-resolution CAMs in [0, 1].
        keys (np.ndarray): (K,) 0-based class indices.
        fg_thr (float): the high threshold (IRN 0.30, RIB / ACR 0.35).
        bg_thr (float): the low threshold (IRN 0.05, RIB / ACR 0.17).
        crf (dict, optional): :func:`mmwsss.ops.dense_crf_labels`
            arguments replacing IRN's (gt_prob 0.7, Gaussian sxy 3 compat 3,
            bilateral sxy 50 srgb 5 compat 10, 10 iterations).

    Returns:
        dict: ``idx_fg``, ``idx_bg`` (H, W) int64 argmax channels;
        ``pred_fg``, ``pred_bg`` (H, W) int64 CRF argmax channels;
        ``conf_fg``, ``conf_bg`` (H, W) int64 class ids + 1 (0 bg);
        ``label`` uint8 (H, W).
    """
    cams = np.asarray(cams, np.float32)
    keys = np.asarray(keys, np.int64).reshape(-1)
    if cams.ndim != 3 or cams.shape[0] != keys.size:
        raise ValueError(f'cams of shape {cams.shape} do not match '
                         f'{keys.size} keys')
    if not bg_thr <= fg_thr:
        raise ValueError(f'bg_thr ({bg_thr}) must not exceed fg_thr '
                         f'({fg_thr}): fg_thr is the high threshold')
    settings = dict(IRN_LABEL_CRF)
    settings.update(crf or {})
    keys0 = np.concatenate([[0], keys + 1])
    out = {}
    for name, thr in (('fg', fg_thr), ('bg', bg_thr)):
        scores = np.concatenate(
            [np.full((1, *cams.shape[1:]), thr, np.float32), cams])
        idx = scores.argmax(0)
        pred = dense_crf_labels(image, idx, keys.size + 1,
                                **settings).argmax(0)
        out[f'idx_{name}'] = idx.astype(np.int64)
        out[f'pred_{name}'] = pred.astype(np.int64)
        out[f'conf_{name}'] = keys0[pred]
    label = out['conf_fg'].copy()
    label[out['conf_fg'] == 0] = 255
    label[(out['conf_fg'] == 0) & (out['conf_bg'] == 0)] = 0
    out['label'] = label.astype(np.uint8)
    return out
