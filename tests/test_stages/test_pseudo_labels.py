import os
import os.path as osp
import shutil

import numpy as np
import pytest

from mmwsss import fileio
from mmwsss.datasets import TOY_CLASSES
from mmwsss.fileio import save_cams
from mmwsss.stages import evaluate_pseudo_labels, make_pseudo_labels
from mmwsss.utils import InvalidInputError, MissingInputError

CRF = dict(type='DenseCRFRefiner', n_iter=5)


def read_all(folder):
    return {
        name: open(osp.join(folder, name), 'rb').read()
        for name in sorted(os.listdir(folder))
    }


def test_two_workers_equal_one_and_resume(toy_train, toy_cams, tmp_path):
    one, two = str(tmp_path / 'one'), str(tmp_path / 'two')
    summary = make_pseudo_labels(toy_train, toy_cams, one, CRF, progress=False)
    assert summary['written'] == len(toy_train) == 24
    make_pseudo_labels(toy_train, toy_cams, two, CRF, nproc=2, progress=False)
    assert read_all(one) == read_all(two)
    label = fileio.read_label_png(osp.join(one, 'toy_000000.png'), 6)
    assert label.dtype == np.uint8
    summary = make_pseudo_labels(
        toy_train, toy_cams, two, CRF, nproc=2, progress=False)
    assert summary['skipped'] == 24 and summary['written'] == 0


def test_quality_report(toy_train, toy_cams, tmp_path):
    out = str(tmp_path / 'pseudo')
    make_pseudo_labels(
        toy_train,
        toy_cams,
        out,
        dict(
            type='ThresholdRefiner', bg_threshold=0.5, ignore_band=(0.3, 0.5)),
        progress=False)
    res = evaluate_pseudo_labels(out, toy_train, TOY_CLASSES)
    assert res['pseudo/num_images'] == 24
    assert 50 < res['pseudo/mIoU'] <= res['pseudo/mIoU_labelled'] <= 100
    assert 0 < res['pseudo/ignore_ratio'] < 30
    assert set(res['pseudo/IoU_per_class']) == {'background', *TOY_CLASSES}
    for key in ('pseudo/F', 'pseudo/J&F', 'pseudo/fg_precision',
                'pseudo/fg_recall', 'pseudo/mPrecision', 'pseudo/mRecall'):
        assert 0 <= res[key] <= 100
    os.remove(osp.join(out, 'toy_000003.png'))
    with pytest.raises(MissingInputError, match='toy_000003.png.*stages 3-4'):
        evaluate_pseudo_labels(out, toy_train, TOY_CLASSES)


@pytest.mark.parametrize('nproc', [1, 2])
def test_bad_cam_files_give_clear_errors(toy_train, toy_cams, tmp_path, nproc):
    cams = str(tmp_path / 'cams')
    shutil.copytree(toy_cams, cams)
    save_cams(osp.join(cams, 'toy_000002.npz'), np.zeros((1, 60, 64)), [0])
    with pytest.raises(
            InvalidInputError,
            match=r'toy_000002.npz is 64x60 \(WxH\) but '
            r'\S*toy_000002.jpg is 64x64'):
        make_pseudo_labels(
            toy_train[:4],
            cams,
            str(tmp_path / 'a'),
            nproc=nproc,
            progress=False)
    with open(osp.join(cams, 'toy_000001.npz'), 'wb') as f:
        f.write(b'\x00' * 10)
    with pytest.raises(InvalidInputError, match='toy_000001.npz.*corrupt'):
        make_pseudo_labels(
            toy_train[:2],
            cams,
            str(tmp_path / 'b'),
            nproc=nproc,
            progress=False)
    with pytest.raises(MissingInputError, match='CAM folder'):
        make_pseudo_labels(
            toy_train,
            str(tmp_path / 'none'),
            str(tmp_path / 'c'),
            progress=False)
