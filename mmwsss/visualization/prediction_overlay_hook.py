"""Draw every test prediction (``tools/test.py --show-dir DIR / --show``)."""
import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmwsss.fileio import read_label_png, read_rgb, voc_palette
from mmwsss.registry import HOOKS
from .layout import save_rgb_png, stack_rows, tile_row
from .legend import label_legend, present_values, with_background
from .panels import cam_overlay, label_overlay


def _numpy(value) -> np.ndarray:
    value = getattr(value, 'data', value)
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


@HOOKS.register_module()
class PredictionOverlayHook(Hook):
    """After each test iteration, draw every sample's prediction over its
    image, write it to ``<out_dir>/<image stem>.png`` and/or show it.

    - Segmentation samples (``pred_sem_seg``, mmseg models) are drawn by
      mmseg's ``SegLocalVisualizer`` as mmseg's ``tools/test.py
      --show-dir`` does: the image, the ground truth (when the test
      pipeline loads it) and the prediction side by side, the class names
      written on their regions, in the dataset's palette.
    - CAM samples (``cams`` and ``cam_labels`` of ``CAMClassifier.predict``)
      are drawn with this package's panels: the image, one CAM overlay per
      class with its name and probability, and the ground truth of
      ``seg_map_path`` when there is one, with a class legend.

    Args:
        out_dir (str, optional): the folder of the PNGs. Default: None
            (nothing written).
        show (bool): show each drawing in a window. Default: False.
        wait_time (float): seconds each window stays (0: until a key).
            Default: 0.
        alpha (float): opacity of the segmentation colours. Default: 0.5.
    """

    priority = 'NORMAL'

    def __init__(self,
                 out_dir: Optional[str] = None,
                 show: bool = False,
                 wait_time: float = 0.,
                 alpha: float = 0.5) -> None:
        if not out_dir and not show:
            raise ValueError('PredictionOverlayHook needs out_dir or show')
        self.out_dir, self.show = out_dir, show
        self.wait_time, self.alpha = wait_time, alpha
        self.count = 0
        self._seg_visualizer = None

    def before_test(self, runner) -> None:
        meta = dict(runner.test_dataloader.dataset.metainfo)
        self.classes = list(meta.get('classes') or ())
        self.palette = meta.get('palette') or voc_palette(
            len(self.classes)).tolist()
        self._runner_visualizer = runner.visualizer
        self.count = 0

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        for sample in outputs or ():
            img_path = sample.get('img_path')
            stem = osp.splitext(osp.basename(img_path))[0]
            out_file = (osp.join(self.out_dir, f'{stem}.png')
                        if self.out_dir else None)
            image = read_rgb(img_path)
            if sample.get('pred_sem_seg') is not None:
                self._draw_segmentation(stem, image, sample, out_file)
            elif sample.get('cams') is not None:
                drawn = self._draw_cams(image, sample)
                if out_file:
                    save_rgb_png(out_file, drawn)
                if self.show:
                    self._runner_visualizer.show(
                        drawn, win_name=stem, wait_time=self.wait_time)
            else:
                raise ValueError(
                    'PredictionOverlayHook draws segmentation predictions '
                    '(pred_sem_seg) and CAMs (cams, cam_labels); the model '
                    f'returned neither for {img_path}.')
            self.count += 1

    def after_test_epoch(self, runner, metrics=None) -> None:
        if self.out_dir:
            print_log(
                f'{self.count} prediction overlays written to '
                f'{self.out_dir}', logger='current')

    def _draw_segmentation(self, stem: str, image: np.ndarray, sample,
                           out_file: Optional[str]) -> None:
        if self._seg_visualizer is None:
            from mmseg.visualization import SegLocalVisualizer
            self._seg_visualizer = SegLocalVisualizer(
                name=f'prediction_overlay_{id(self)}', alpha=self.alpha)
            self._seg_visualizer.dataset_meta = dict(
                classes=self.classes, palette=self.palette)
        self._seg_visualizer.add_datasample(
            stem,
            image,
            data_sample=sample,
            show=self.show,
            wait_time=self.wait_time,
            out_file=out_file,
            with_image=True)

    def _draw_cams(self, image: np.ndarray, sample) -> np.ndarray:
        """image | CAM per class | GT, legend below."""
        cams = _numpy(sample.get('cams')).astype(np.float32)
        keys = _numpy(sample.get('cam_labels')).astype(np.int64).reshape(-1)
        scores = sample.get('pred_score')
        scores = None if scores is None else _numpy(scores).reshape(-1)
        tiles, titles = [image], ['image' if keys.size else 'no class']
        for cam, key in zip(cams, keys):
            name = (self.classes[key]
                    if 0 <= key < len(self.classes) else str(key))
            tiles.append(cam_overlay(image, np.clip(cam, 0, 1)))
            titles.append(name if scores is None else
                          f'{name} {scores[key]:.2f}')
        path = sample.get('seg_map_path')
        if not path or not osp.isfile(path):
            return tile_row(tiles, titles)
        gt = read_label_png(path, len(self.classes))
        tiles.append(label_overlay(image, gt))
        titles.append('GT')
        values = [v for v in present_values(gt) if v != 0] or [0]
        return stack_rows([
            tile_row(tiles, titles),
            label_legend(values, with_background(self.classes))
        ])
