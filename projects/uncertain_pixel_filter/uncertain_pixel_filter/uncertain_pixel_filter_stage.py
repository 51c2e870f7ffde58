"""``UncertainPixelFilterStage``: pseudo labels with ambiguous pixels
ignored.

For each pixel the CAM scores of the image's classes, with background
score ``1 - max_k cam_k``, are sorted; where the best two differ by less
than ``margin`` the pixel's label becomes 255 (ignore), so the segmentation
stage does not learn from it::

    ignore(x) = [s_(1)(x) - s_(2)(x) < margin],
    s = (1 - max_k cam_k, cam_1, ..., cam_K)

The idea of training only on confident pseudo-label pixels is common in
WSSS (e.g. the reliable region of BANA, CVPR 2021, arXiv:2104.00905); this
stage is the worked example of docs/en/advanced_guides/add_stage.md.
"""
import os
import os.path as osp

import numpy as np
from mmengine.config import Config
from mmengine.utils import ProgressBar

from mmwsss.fileio import load_cams, read_label_png, save_label_png
from mmwsss.registry import STAGES
from mmwsss.stages import SplitStage, StageContext
from mmwsss.stages.output_files import damaged_files, file_records, png_loads
from mmwsss.stages.pseudo_labels import evaluate_pseudo_labels


def ambiguous_pixels(cams: np.ndarray, margin: float) -> np.ndarray:
    """Boolean (H, W) map where the two best class scores (background =
    ``1 - max cam``) are closer than ``margin``."""
    if cams.shape[0] == 0:
        return np.zeros(cams.shape[1:], bool)
    scores = np.concatenate([1 - cams.max(0, keepdims=True), cams])
    top2 = np.sort(scores, axis=0)[-2:]
    return (top2[1] - top2[0]) < margin


@STAGES.register_module()
class UncertainPixelFilterStage(SplitStage):
    """Copy an upstream stage's pseudo labels to ``<name>/pseudo`` with the
    ambiguous pixels (see module doc) set to 255.

    Args:
        name (str): stage name.
        margin (float): minimum gap between the two best scores.
            Default: 0.1.
        split (str): dataset split of the CAM and label stages.
        dataset (dict, optional): dataset settings to replace (as theirs).
        cams (str): the upstream stage with the CAMs. Default: ``'cams'``.
        labels (str): the upstream stage with the labels.
            Default: ``'refine'``.
    """

    def __init__(self,
                 name: str,
                 margin: float = 0.1,
                 split: str = 'train',
                 dataset: dict = None,
                 cams: str = 'cams',
                 labels: str = 'refine') -> None:
        super().__init__(name, split, dataset)
        self.margin = float(margin)
        self.cams, self.labels = cams, labels

    def needs(self) -> tuple:
        return (self.cams, self.labels)

    def settings(self, cfg: Config) -> dict:
        return dict(
            margin=self.margin, split=self.split, dataset=self.overrides)

    def run(self, ctx: StageContext) -> dict:
        infos = self.data_list(ctx.cfg)
        classes = self.datasets(ctx.cfg)[0].metainfo['classes']
        cam_dir = ctx.output(self.cams, 'cams')
        label_dir = ctx.output(self.labels, 'labels')
        out_dir = ctx.path('pseudo')
        os.makedirs(out_dir, exist_ok=True)
        names = self.file_names(ctx.cfg, '.png')
        bar = ProgressBar(len(infos))
        for name in names:
            out = osp.join(out_dir, name)
            if not png_loads(out):  # resumable: keep what is done
                label = read_label_png(osp.join(label_dir, name), len(classes))
                _, cams = load_cams(
                    osp.join(cam_dir, name[:-len('.png')] + '.npz'),
                    label.shape)
                label = label.copy()
                label[ambiguous_pixels(cams, self.margin)] = 255
                save_label_png(out, label)
            bar.update()
        return dict(
            count=len(infos),
            metrics=evaluate_pseudo_labels(out_dir, infos, classes),
            outputs=dict(labels=ctx.relative(out_dir)),
            files=file_records(out_dir, names))

    def verify(self, ctx: StageContext, record: dict) -> list:
        return damaged_files(ctx.path('pseudo'),
                             self.file_names(ctx.cfg, '.png'),
                             record.get('files'), png_loads)
