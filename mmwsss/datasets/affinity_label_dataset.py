"""VOC-layout images paired with per-image affinity-label files (the
training set of AffinityNet and IRN)."""
import os.path as osp
from typing import List, Optional

from mmwsss import fileio
from mmwsss.registry import DATASETS
from mmwsss.utils import InvalidInputError, MissingInputError
from .voc_cls_dataset import VOCClsDataset

_FIX = ('Fix: run the affinity-label stage first (tools/run_pipeline.py '
        'CONFIG runs it before training the affinity network), or set '
        'train_dataloader.dataset.label_dir to its output folder.')


@DATASETS.register_module()
class AffinityLabelDataset(VOCClsDataset):
    """The images of a VOC id list with their affinity-label files.

    For AffinityNet (Ahn and Kwak, CVPR 2018, arXiv:1803.10464,
    https://github.com/jiwoon-ahn/psa) the files are the CRF score pairs
    ``<id>.npz`` (``keys``, ``scores_lo``, ``scores_hi``); for IRN (Ahn, Cho
    and Kwak, CVPR 2019, arXiv:1904.05044, https://github.com/jiwoon-ahn/irn)
    the inter-pixel-relation labels ``<id>.png``. Each data info is that of
    :class:`VOCClsDataset` (``img_path``, ``img_id``, ``gt_label`` unless
    ``label_source=None``, ``seg_map_path`` when present) plus
    ``aff_label_path = <label_dir>/<img_id><label_suffix>``. Every listed
    image must have its file.

    Args:
        data_root (str): dataset root, e.g. ``data/VOCdevkit/VOC2012``.
        label_dir (str): folder of the label files, absolute or relative to
            ``data_root``; the pipeline's affinity-label stage fills it in.
        label_suffix (str): ``'.npz'`` (AffinityNet) or ``'.png'`` (IRN).
            Default: ``'.npz'``.
        label_source (str | None): image labels as in
            :class:`VOCClsDataset` (``'seg'``, ``'xml'``, ``'file'``), or
            None: no image labels (the affinity networks do not need them).
            Default: ``'file'``.
        **kwargs: other :class:`VOCClsDataset` arguments (``split``,
            ``ann_file``, ``metainfo``, ``pipeline``, ...).
    """
    LABEL_SOURCES = VOCClsDataset.LABEL_SOURCES + (None, )

    def __init__(self,
                 data_root: str,
                 label_dir: str = '',
                 label_suffix: str = '.npz',
                 label_source: Optional[str] = 'file',
                 **kwargs) -> None:
        if not label_dir:
            raise InvalidInputError(
                'AffinityLabelDataset needs label_dir, the folder of the '
                f'per-image affinity-label files. {_FIX}')
        self.label_dir = osp.join(data_root, label_dir)
        self.label_suffix = label_suffix
        super().__init__(
            data_root=data_root, label_source=label_source, **kwargs)

    def load_data_list(self) -> List[dict]:
        """The id list's images with their label files (all must exist)."""
        fileio.require_dir(self.label_dir, 'Affinity-label folder', _FIX)
        if self.label_source is None:
            data_list = [
                dict(
                    img_path=osp.join(self.img_prefix,
                                      img_id + self.img_suffix),
                    img_id=img_id)
                for img_id in fileio.read_split(self.ann_file)
            ]
        else:
            data_list = super().load_data_list()
        missing = []
        for info in data_list:
            path = osp.join(self.label_dir, info['img_id'] + self.label_suffix)
            info['aff_label_path'] = path
            if not osp.isfile(path):
                missing.append(info['img_id'])
        if missing:
            raise MissingInputError(
                f'{len(missing)} of the {len(data_list)} images of '
                f'{self.ann_file} have no affinity-label file '
                f'<id>{self.label_suffix} in {self.label_dir} (e.g. '
                f'{missing[:5]}). {_FIX}')
        return data_list

    def extra_repr(self) -> List[str]:
        """Extra lines of ``repr(dataset)``."""
        return super().extra_repr() + [f'Label dir: \t{self.label_dir}']
