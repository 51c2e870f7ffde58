import os
import os.path as osp
import shutil

import pytest
from mmseg.datasets import PascalVOCDataset

from mmwsss.datasets import TOY_CLASSES, PseudoLabelSegDataset
from mmwsss.registry import DATASETS
from mmwsss.utils import MissingInputError

SPLIT = 'ImageSets/Segmentation/val.txt'


@pytest.fixture
def pseudo_dir(toy_voc, tmp_path):
    """Stand-in stage-4 output: a copy of the toy GT masks."""
    out = str(tmp_path / 'pseudo')
    shutil.copytree(osp.join(toy_voc, 'SegmentationClass'), out)
    return out


def _cfg(toy_voc, pseudo, **kwargs):
    return dict(
        type='PseudoLabelSegDataset',
        data_root=toy_voc,
        ann_file=SPLIT,
        data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo),
        metainfo=dict(classes=('background', ) + TOY_CLASSES),
        **kwargs)


def test_loads_with_mmseg_pipeline(toy_voc, pseudo_dir):
    ds = DATASETS.build(
        _cfg(
            toy_voc,
            pseudo_dir,
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadAnnotations'),
                dict(type='PackSegInputs')
            ]))
    assert len(ds) == 8
    assert len(ds.metainfo['palette']) == 7
    out = ds[0]
    assert out['inputs'].shape == (3, 64, 64)
    seg = out['data_samples'].gt_sem_seg.data
    assert seg.shape == (1, 64, 64) and int(seg.max()) == 255
    assert out['data_samples'].seg_map_path.startswith(pseudo_dir)


def test_default_classes_are_voc(toy_voc, pseudo_dir):
    ds = PseudoLabelSegDataset(
        ann_file=SPLIT,
        data_root=toy_voc,
        data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo_dir),
        verify_images=True)
    assert ds.metainfo['classes'] == PascalVOCDataset.METAINFO['classes']
    assert ds.get_data_info(0)['reduce_zero_label'] is False


def test_missing_pseudo_labels_say_to_run_stages(toy_voc, pseudo_dir,
                                                 tmp_path):
    with pytest.raises(
            MissingInputError,
            match=r'Pseudo-label folder .*'
            r'nothing does not exist.*stages 2-4.*'
            r'run_pipeline\.py.*make_pseudo_labels\.py'):
        DATASETS.build(_cfg(toy_voc, str(tmp_path / 'nothing')))
    os.remove(osp.join(pseudo_dir, 'toy_000025.png'))
    with pytest.raises(
            MissingInputError,
            match=r'1 of 8 ids .* no pseudo '
            r'label, e\.g\. .*toy_000025\.png.*stages 2-4'):
        DATASETS.build(_cfg(toy_voc, pseudo_dir))
