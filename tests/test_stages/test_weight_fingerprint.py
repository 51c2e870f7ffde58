"""The weight files a training stage starts from are part of its
fingerprint by their weights: a trunk re-made with other weights re-runs
the stage, the same weights elsewhere or saved again do not, and the report
names the file and its weights digest."""
import shutil

import torch
from mmengine.config import Config

from mmwsss.apis import PipelineRunner
from mmwsss.fileio.weights_digest import weights_digest
from mmwsss.models import ResNet38d
from mmwsss.stages.mmengine_run import training_settings, weight_files
from mmwsss.stages.report import render_markdown
from mmwsss.stages.train_stage import TrainStage


def _trunk(path, seed):
    torch.manual_seed(seed)
    torch.save(ResNet38d(width_mult=1 / 16).state_dict(), str(path))


def _with_trunk(cfg, path):
    cfg.model.backbone.init_cfg = dict(type='Pretrained',
                                       checkpoint=str(path))
    return cfg


def test_weights_digest_sees_weights_not_bytes(tmp_path):
    state = {'w': torch.arange(6.).reshape(2, 3), 'b': torch.zeros(2)}
    torch.save(dict(state_dict=state, meta=dict(time='t1')), tmp_path / '1')
    torch.save(dict(state_dict=state, meta=dict(time='t2')), tmp_path / '2')
    torch.save(state, tmp_path / 'bare')
    assert (tmp_path / '1').read_bytes() != (tmp_path / '2').read_bytes()
    digests = {weights_digest(str(tmp_path / n)) for n in ('1', '2', 'bare')}
    assert len(digests) == 1
    for name, changed in [('value', dict(state, b=torch.ones(2))),
                          ('dtype', dict(state, b=torch.zeros(2).double())),
                          ('shape', dict(state, w=torch.arange(6.))),
                          ('key', {'v': state['w'], 'b': state['b']})]:
        torch.save(changed, tmp_path / name)
        assert weights_digest(str(tmp_path / name)) not in digests, name
    (tmp_path / 'raw').write_bytes(b'not a torch file')  # digest of bytes
    assert len(weights_digest(str(tmp_path / 'raw'))) == 16


def test_settings_follow_the_weights_not_the_path(tmp_path):
    a, b, moved = tmp_path / 'a.pth', tmp_path / 'b.pth', tmp_path / 'c.pth'
    torch.save({'w': torch.zeros(3)}, a)
    torch.save({'w': torch.ones(3)}, b)
    shutil.copy(a, moved)

    def settings(path):
        return training_settings(Config(dict(model=dict(
            backbone=dict(init_cfg=dict(type='Pretrained',
                                        checkpoint=str(path)))))))

    assert settings(a) == settings(moved)
    assert settings(a) != settings(b)
    url = 'https://example.org/w.pth'  # not a local file: kept as written
    assert settings(url)['model']['backbone']['init_cfg']['checkpoint'] == url
    files = weight_files(Config(dict(
        model=dict(backbone=dict(init_cfg=dict(type='Pretrained',
                                               checkpoint=str(b)))),
        load_from=str(a))))
    assert files['model.backbone.init_cfg']['path'] == str(b)
    assert files['load_from']['weights_sha256'] != \
        files['model.backbone.init_cfg']['weights_sha256']
    assert len(files['load_from']['weights_sha256']) == 16


def test_a_remade_trunk_reruns_the_train_stage(toy_voc, tmp_path,
                                               toy_pipeline_cfg):
    trunk = tmp_path / 'trunk.pth'
    _trunk(trunk, seed=0)
    cfg = _with_trunk(toy_pipeline_cfg(toy_voc), trunk)
    work_dir = str(tmp_path / 'run')
    first = PipelineRunner(cfg, work_dir, 'toy').run(['train'])
    record = first['stages']['train']
    assert record['status'] == 'ran'
    entry = record['weights']['model.backbone.init_cfg']
    assert entry['path'] == str(trunk)
    assert f'sha256 {entry["weights_sha256"]}' in render_markdown(first)
    assert TrainStage('train').weights(cfg) == record['weights']

    moved = tmp_path / 'elsewhere.pth'  # the same weights saved again
    _trunk(moved, seed=0)
    again = PipelineRunner(_with_trunk(cfg, moved), work_dir,
                           'toy').run(['train'])
    assert again['stages']['train']['status'] == 'skipped'

    _trunk(trunk, seed=1)  # re-made: other weights under the same path
    remade = PipelineRunner(_with_trunk(cfg, trunk), work_dir,
                            'toy').run(['train'])
    assert remade['stages']['train']['status'] == 'ran'
    assert remade['stages']['train']['weights'][
        'model.backbone.init_cfg']['weights_sha256'] != entry['weights_sha256']
