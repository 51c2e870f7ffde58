"""``on_bad_sample='skip'`` through the pipeline: a truncated JPEG is left
out of every stage and the report lists its id (the default policy stops
before any stage: ``test_reliability.py::test_bad_image_stops_before_any_
stage``)."""
import json
import os.path as osp

from mmwsss.apis import PipelineRunner
from mmwsss.datasets.toy_voc import make_toy_voc
from mmwsss.fileio import read_split


def test_skipped_images_are_listed_in_the_report(tmp_path, toy_pipeline_cfg):
    root = make_toy_voc(
        str(tmp_path / 'toy'), seed=0, num_train=12, num_val=4, size=64)
    ids = read_split(osp.join(root, 'ImageSets', 'Segmentation', 'train.txt'))
    with open(osp.join(root, 'JPEGImages', f'{ids[5]}.jpg'), 'r+b') as f:
        f.truncate(200)
    cfg = toy_pipeline_cfg(root, segment=False)
    cfg.merge_from_dict({
        f'{loader}_dataloader.dataset.on_bad_sample': 'skip'
        for loader in ('train', 'val', 'test')
    })
    work_dir = str(tmp_path / 'run')
    report = PipelineRunner(cfg, work_dir, 'toy').run()
    stages = report['stages']
    assert {name: stage['skipped'] for name, stage in stages.items()} == \
        dict(train=[ids[5]], cams=[ids[5]], refine=[ids[5]])
    assert stages['cams']['count'] == stages['refine']['count'] == 11
    assert not osp.exists(osp.join(work_dir, 'refine', 'pseudo',
                                   f'{ids[5]}.png'))
    with open(osp.join(work_dir, 'report.md')) as f:
        assert f'- cams: 1 ({ids[5]})' in f.read()
    # a finished stage keeps its list: the second run skips every stage
    again = PipelineRunner(cfg, work_dir, 'toy').run()
    assert {s['status'] for s in again['stages'].values()} == {'skipped'}
    with open(osp.join(work_dir, 'report.json')) as f:
        assert json.load(f)['stages']['train']['skipped'] == [ids[5]]
