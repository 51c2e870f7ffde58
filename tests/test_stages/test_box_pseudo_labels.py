"""BANA stage 2 over a dataset: worker processes, resuming, scores, the
pipeline's box path and the stand-alone tool."""
import copy
import importlib.util
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from mmengine.config import Config

from mmwsss import fileio
from mmwsss.apis import PipelineRunner
from mmwsss.stages import evaluate_box_pseudo_labels, make_box_pseudo_labels
from mmwsss.stages.cam_inference import build_inference_dataset
from mmwsss.utils import InvalidInputError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BANA_TOY = osp.join(ROOT, 'configs', 'bana', 'bana_bap_r38tiny_toy.py')


def bana_cfg(root) -> Config:
    cfg = Config.fromfile(BANA_TOY)
    options = {'train_cfg.max_iters': 2, 'train_cfg.val_interval': 2,
               'default_hooks.checkpoint.interval': 2,
               'stages.cams.batch_size': 4, 'stages.box_labels.nproc': 1}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.update({
            f'{loader}.dataset.data_root': root,
            f'{loader}.batch_size': 4,
            f'{loader}.num_workers': 0,
            f'{loader}.persistent_workers': False})
    cfg.merge_from_dict(options)
    cfg.stages.pop('segment')
    return cfg


@pytest.fixture(scope='module')
def bana_run(toy_voc, tmp_path_factory):
    """Stages train, cams and box_labels of the BANA toy config (2 iterations)
    on the 24-image toy fixture; treat as read-only."""
    work_dir = str(tmp_path_factory.mktemp('bana'))
    cfg = bana_cfg(toy_voc)
    report = PipelineRunner(cfg, work_dir, 'bana').run()
    return cfg, work_dir, report


def last_checkpoint(work_dir):
    with open(osp.join(work_dir, 'train', 'last_checkpoint')) as f:
        return f.read().strip()


def read_dir(folder):
    return {
        name: fileio.read_label_png(osp.join(folder, name), 6)
        for name in sorted(os.listdir(folder))
    }


def test_pipeline_box_path(bana_run, toy_voc):
    cfg, work_dir, report = bana_run
    assert {name: stage['status'] for name, stage in report['stages'].items()
            } == dict(train='ran', cams='ran', box_labels='ran')
    pseudo = report['stages']['box_labels']
    assert pseudo['count'] == 24
    metrics = pseudo['metrics']
    for prefix in ('pseudo', 'pseudo_ret', 'reliable', 'box_fill'):
        assert 0 < metrics[f'{prefix}/mIoU'] <= 100
    assert metrics['pseudo/ignore_ratio'] == 0
    assert metrics['seconds/crf'] > 0 and metrics['seconds/forward'] > 0
    crf = read_dir(osp.join(work_dir, 'box_labels', 'pseudo'))
    ret = read_dir(osp.join(work_dir, 'box_labels', 'pseudo_ret'))
    assert len(crf) == len(ret) == 24
    # Y_crf is background outside every box and a box class inside
    dataset = build_inference_dataset(cfg, 'train')
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        y = crf[f'{info["img_id"]}.png']
        allowed = {0} | {int(c) + 1 for c in info['gt_bboxes_labels']}
        assert set(np.unique(y)) <= allowed
        assert set(np.unique(ret[f'{info["img_id"]}.png'])) <= allowed
        assert y.max() < 255
    # the reliable share is the fraction where both labels agree
    agree = np.mean([np.mean(crf[k] == ret[k]) for k in crf])
    assert metrics['reliable/ignore_ratio'] == pytest.approx(
        100 * (1 - agree), abs=0.01)


def test_pipeline_without_cams_stage(toy_voc, tmp_path):
    cfg = bana_cfg(toy_voc)
    cfg.stages.pop('cams')
    report = PipelineRunner(cfg, str(tmp_path), 'bana').run()
    assert list(report['stages']) == ['train', 'box_labels']
    # a CAM refiner stage needs a stage that makes CAMs
    cfg.stages.refine = dict(type='RefineStage')
    with pytest.raises(InvalidInputError, match='needs a stage "cams"'):
        PipelineRunner(cfg, str(tmp_path / 'b'), 'bana')


def test_workers_give_the_same_labels_and_resume(bana_run, tmp_path):
    cfg, work_dir, _ = bana_run
    checkpoint = last_checkpoint(work_dir)
    out, ret = str(tmp_path / 'crf'), str(tmp_path / 'ret')
    summary = make_box_pseudo_labels(
        cfg, checkpoint, out, ret, split='train', nproc=2, progress=False)
    assert summary['written'] == 24 and summary['skipped'] == 0
    assert set(summary['seconds']) == {'forward', 'unaries', 'crf',
                                       'retrieval'}
    single = read_dir(osp.join(work_dir, 'box_labels', 'pseudo'))
    parallel = read_dir(out)
    assert single.keys() == parallel.keys()
    for name in single:
        np.testing.assert_array_equal(single[name], parallel[name])
    # a missing Y_crf (interrupted run) is redone; the rest is kept
    removed = sorted(parallel)[:3]
    for name in removed:
        os.remove(osp.join(out, name))
    again = make_box_pseudo_labels(
        cfg, checkpoint, out, ret, split='train', progress=False)
    assert again['written'] == 3 and again['skipped'] == 21
    for name in removed:
        np.testing.assert_array_equal(
            fileio.read_label_png(osp.join(out, name), 6), single[name])


def test_shards_write_the_labels_of_one_process(bana_run, tmp_path):
    """Ranks 1 and 0 of 2 (as under torchrun) write the ids 1::2 and 0::2;
    together: the files of the 1-process stage, byte for byte."""
    cfg, work_dir, _ = bana_run
    out, ret = str(tmp_path / 'crf'), str(tmp_path / 'ret')
    for rank in (1, 0):
        summary = make_box_pseudo_labels(
            cfg, last_checkpoint(work_dir), out, ret, split='train',
            progress=False, rank=rank, world_size=2)
        assert summary['num_images'] == summary['written'] == 12
    for folder, sub in ((out, 'pseudo'), (ret, 'pseudo_ret')):
        single = osp.join(work_dir, 'box_labels', sub)
        names = sorted(os.listdir(single))
        assert len(names) == 24 and sorted(os.listdir(folder)) == names
        for name in names:
            with open(osp.join(folder, name), 'rb') as a, open(
                    osp.join(single, name), 'rb') as b:
                assert a.read() == b.read(), (sub, name)


def test_crf_gets_the_raw_rgb_image(bana_run, tmp_path, monkeypatch):
    # the official test code fed DenseCRF the normalised BGR tensor
    from mmwsss.fileio import read_rgb
    from mmwsss.refine.box_labeler import generator as module
    seen = []

    def spy(image, probs, **kwargs):
        seen.append(image.copy())
        return module_crf(image, probs, **kwargs)

    module_crf = module.dense_crf
    monkeypatch.setattr(module, 'dense_crf', spy)
    cfg, work_dir, _ = bana_run
    ids = tmp_path / 'ids.txt'
    ids.write_text('\n'.join(sorted(os.listdir(
        osp.join(work_dir, 'box_labels', 'pseudo')))[:2]).replace('.png', ''))
    make_box_pseudo_labels(
        cfg, last_checkpoint(work_dir), str(tmp_path / 'a'),
        str(tmp_path / 'b'), split=None, dataset=dict(ann_file=str(ids)),
        progress=False)
    dataset = build_inference_dataset(
        cfg, None, overrides=dict(ann_file=str(ids)))
    assert len(seen) == 2
    for i, image in enumerate(seen):
        expected = read_rgb(dataset.get_data_info(i)['img_path'])
        assert image.dtype == np.uint8
        np.testing.assert_array_equal(image, expected)


@pytest.mark.slow
def test_segment_stage_reads_both_pseudo_labels(bana_run, toy_voc):
    # Y_crf and Y_ret reach the NAL segmentation model under the names the
    # stage-2 run wrote (the official code's folder names did not match)
    cfg, work_dir, _ = bana_run
    cfg = copy.deepcopy(cfg)
    seg = {'train_cfg.max_iters': 2, 'train_cfg.val_interval': 2,
           'default_hooks.checkpoint.interval': 2}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        seg.update({
            f'{loader}.dataset.data_root': toy_voc,
            f'{loader}.batch_size': 4,
            f'{loader}.num_workers': 0,
            f'{loader}.persistent_workers': False})
    cfg.stages.segment = dict(
        type='SegmentStage',
        labels='box_labels',
        config=osp.join(ROOT, 'configs', 'bana', 'bana_deeplabv2_r18_toy.py'),
        cfg_options=seg)
    report = PipelineRunner(cfg, work_dir, 'bana').run()
    assert report['stages']['segment']['status'] == 'ran'
    metrics = report['stages']['segment']['metrics']
    assert 0 <= metrics['single/mIoU'] <= 100
    assert 'single/boundary/J&F' in metrics


def test_evaluate_box_fill_baseline_scores_boxes(toy_voc, tmp_path):
    cfg = bana_cfg(toy_voc)
    dataset = build_inference_dataset(cfg, 'train')
    data_list = [dataset.get_data_info(i) for i in range(len(dataset))]
    out, ret = tmp_path / 'crf', tmp_path / 'ret'
    for folder in (out, ret):
        for info in data_list:
            # the ground truth (with its void pixels) as Y_crf and Y_ret:
            # 100 mIoU, everything but the void reliable
            gt = fileio.read_label_png(info['seg_map_path'], 6)
            fileio.save_label_png(str(folder / f'{info["img_id"]}.png'), gt)
    metrics = evaluate_box_pseudo_labels(str(out), str(ret), data_list,
                                         dataset.metainfo['classes'])
    assert metrics['pseudo/mIoU'] == 100 == metrics['pseudo_ret/mIoU']
    assert metrics['reliable/mIoU'] == 100
    assert metrics['reliable/ignore_ratio'] == metrics['pseudo/ignore_ratio']
    # boxes filled with their class cover the shapes but also background
    assert 40 < metrics['box_fill/mIoU'] < 100
    assert metrics['box_fill/fg_recall'] > 95


@pytest.mark.slow
def test_make_box_pseudo_labels_tool(bana_run, tmp_path):
    """The stand-alone tool runs the pipeline's stage: same labels, same
    folder; it needs the train stage finished in its work dir."""
    cfg, work_dir, report = bana_run
    cfg_path = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_path)
    spec = importlib.util.spec_from_file_location(
        'make_box_pseudo_labels',
        osp.join(ROOT, 'tools', 'make_box_pseudo_labels.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    own = str(tmp_path / 'run')
    with pytest.raises(SystemExit) as exc:  # no finished train stage
        tool.main([cfg_path, '--work-dir', own])
    assert exc.value.code == 2
    shutil.copytree(osp.join(work_dir, 'train'), osp.join(own, 'train'))
    mine = tool.main([cfg_path, '--work-dir', own])
    assert mine['stages']['train']['status'] == 'skipped'
    assert mine['stages']['box_labels']['status'] == 'ran'

    def scores(rep):  # timings differ between runs, the scores do not
        return json.dumps({
            k: v
            for k, v in rep['stages']['box_labels']['metrics'].items()
            if not k.startswith('seconds/')
        }, sort_keys=True)  # as text: NaN per-class entries compare equal

    assert scores(mine) == scores(report)
    for folder in ('pseudo', 'pseudo_ret'):
        expected = read_dir(osp.join(work_dir, 'box_labels', folder))
        got = read_dir(osp.join(own, 'box_labels', folder))
        assert got.keys() == expected.keys() and len(got) == 24
        for name, label in got.items():
            np.testing.assert_array_equal(label, expected[name])


def test_xml_size_that_disagrees_with_the_image_stops(tmp_path):
    from mmwsss.datasets.toy_voc import make_toy_voc
    root = make_toy_voc(str(tmp_path / 'toy'), seed=0, num_train=6,
                        num_val=2, size=64)
    xmls = sorted(os.listdir(osp.join(root, 'Annotations')))
    path = osp.join(root, 'Annotations', xmls[1])
    with open(path) as f:
        text = f.read()
    with open(path, 'w') as f:
        f.write(text.replace('<width>64</width>', '<width>80</width>'))
    cfg = bana_cfg(root)
    with pytest.raises(InvalidInputError,
                       match=r'is 64x64 but its annotation says 80x64'):
        PipelineRunner(cfg, str(tmp_path / 'run'), 'bana').run()
