"""VOC images with generated pseudo labels (stage 5: segmentation)."""
import os.path as osp
from typing import List, Optional, Sequence

from mmseg.datasets import BaseSegDataset, PascalVOCDataset

from mmwsss import fileio
from mmwsss.registry import DATASETS
from mmwsss.utils import MissingInputError
from .data_checks import verify_images

_RUN_STAGES = ('Run stages 2-4 first: `python tools/run_pipeline.py CONFIG` '
               '(or `python tools/make_pseudo_labels.py ...`), which write '
               '<work_dir>/pseudo/<id>.png.')


@DATASETS.register_module()
class PseudoLabelSegDataset(BaseSegDataset):
    """Images with pseudo labels ``<seg_map_path>/<id>.png``.

    The labels are uint8 PNGs: 0 = background, 1..C = classes, 255 = ignore
    (mmseg index = mmpretrain index + 1). The folder and every listed id are
    checked at load time, so a missing stage output fails before training.

    The default classes are VOC's 21 (background first). Other class tuples
    (e.g. the toy set's) are used as they are, without mmseg's label
    remapping, since pseudo labels are written in the dataset's own indices;
    without a ``palette`` the VOC colour map is used.

    Example:
        >>> dict(type='PseudoLabelSegDataset', data_root='data/toyvoc',
        ...      ann_file='ImageSets/Segmentation/train.txt',
        ...      data_prefix=dict(img_path='JPEGImages',
        ...                       seg_map_path='/abs/work_dirs/x/pseudo'),
        ...      metainfo=dict(classes=('background', ) + TOY_CLASSES))

    Args:
        ann_file (str): id list relative to ``data_root``.
        img_suffix (str): image suffix. Default: ``'.jpg'``.
        seg_map_suffix (str): pseudo-label suffix. Default: ``'.png'``.
        verify_images (bool): decode every image and pseudo label at load
            time and check their sizes. Default: False.
        ret_dir (str, optional): folder of BANA's second pseudo label Y_ret
            (``<ret_dir>/<id><seg_map_suffix>``, the retrieval labels),
            added to each data info as ``ret_map_path`` for
            ``LoadPseudoLabelPair``. A relative folder lies beside the
            pseudo-label folder (``'pseudo_ret'`` next to ``pseudo/``, so
            overriding ``seg_map_path`` moves both); an absolute one is
            kept. Default: None (one pseudo label).
        data_root (str, optional): dataset root; relative folders of
            ``data_prefix`` are joined to it, absolute ones kept.
        data_prefix (dict): ``img_path`` (images) and ``seg_map_path`` (the
            pseudo-label folder). Default: ``dict(img_path='JPEGImages',
            seg_map_path='pseudo')``.
        metainfo (dict, optional): ``classes`` (background first) and
            optionally ``palette``. Default: None (VOC).
        **kwargs: other arguments of mmseg ``BaseSegDataset``
            (``reduce_zero_label`` is always False).
    """
    METAINFO = PascalVOCDataset.METAINFO

    def __init__(self,
                 ann_file: str,
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 verify_images: bool = False,
                 data_root: Optional[str] = None,
                 data_prefix: Optional[dict] = None,
                 metainfo: Optional[dict] = None,
                 ret_dir: Optional[str] = None,
                 **kwargs) -> None:
        if data_root is not None:
            fileio.require_dir(data_root, 'Data root', fileio.VOC_HINT)
        metainfo = dict(metainfo or {})
        if 'classes' in metainfo and 'palette' not in metainfo:
            metainfo['palette'] = fileio.voc_palette(len(
                metainfo['classes'])).tolist()
        self.verify_images = verify_images
        self.ret_dir = ret_dir
        super().__init__(
            metainfo=metainfo,
            ann_file=ann_file,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            reduce_zero_label=False,
            data_root=data_root,
            data_prefix=data_prefix
            or dict(img_path='JPEGImages', seg_map_path='pseudo'),
            **kwargs)

    @classmethod
    def get_label_map(cls, new_classes: Optional[Sequence] = None) -> None:
        """No remapping: pseudo labels already use the dataset's classes."""
        return None

    def load_data_list(self) -> List[dict]:
        """Read the id list and check that every pseudo label exists."""
        fileio.require_file(self.ann_file, 'Split file', fileio.VOC_HINT)
        pseudo_dir = self.data_prefix.get('seg_map_path')
        if not pseudo_dir or not osp.isdir(pseudo_dir):
            raise MissingInputError(
                f'Pseudo-label folder {pseudo_dir} does not exist. '
                f'{_RUN_STAGES}')
        data_list = super().load_data_list()
        missing = [
            info['seg_map_path'] for info in data_list
            if not osp.isfile(info['seg_map_path'])
        ]
        if missing:
            raise MissingInputError(
                f'{len(missing)} of {len(data_list)} ids in {self.ann_file} '
                f'have no pseudo label, e.g. {missing[0]}. {_RUN_STAGES}')
        if self.ret_dir is not None:
            self._add_ret_maps(data_list, pseudo_dir)
        if self.verify_images:
            verify_images(data_list, len(self.metainfo['classes']) - 1)
            if self.ret_dir is not None:
                verify_images(
                    [
                        dict(
                            img_path=info['img_path'],
                            seg_map_path=info['ret_map_path'])
                        for info in data_list
                    ],
                    len(self.metainfo['classes']) - 1,
                )
        return data_list

    def _add_ret_maps(self, data_list: List[dict], pseudo_dir: str) -> None:
        """Set ``ret_map_path`` (Y_ret) of every data info, checking that
        the files exist."""
        ret_dir = osp.join(
            osp.dirname(osp.normpath(pseudo_dir)), self.ret_dir)
        if not osp.isdir(ret_dir):
            raise MissingInputError(
                f'Y_ret folder {ret_dir} does not exist (BANA writes it '
                f'beside the Y_crf folder {pseudo_dir}). {_RUN_STAGES}')
        for info in data_list:
            name = osp.relpath(info['seg_map_path'], pseudo_dir)
            info['ret_map_path'] = osp.join(ret_dir, name)
        missing = [
            info['ret_map_path'] for info in data_list
            if not osp.isfile(info['ret_map_path'])
        ]
        if missing:
            raise MissingInputError(
                f'{len(missing)} of {len(data_list)} ids in {self.ann_file} '
                f'have no Y_ret label, e.g. {missing[0]}. {_RUN_STAGES}')
