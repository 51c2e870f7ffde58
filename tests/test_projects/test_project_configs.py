"""Every project (``projects/<name>/``) has a README listed in
``projects/README.md``, and every project config loads and builds its model
(no weights loaded, no training)."""
import glob
import os.path as osp
import re
import sys

import pytest
import torch
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# projects are not part of the installed package; configs with
# custom_imports name them as projects.<name>.<package>
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
PROJECTS = sorted(
    osp.basename(osp.dirname(p))
    for p in glob.glob(osp.join(ROOT, 'projects', '*', '')))
CONFIGS = sorted(
    glob.glob(osp.join(ROOT, 'projects', '*', 'configs', '**', '*.py'),
              recursive=True))


def test_every_project_has_a_readme_and_is_listed():
    assert PROJECTS, 'no project under projects/'
    with open(osp.join(ROOT, 'projects', 'README.md'), encoding='utf-8') as f:
        index = f.read()
    for name in PROJECTS:
        assert osp.isfile(osp.join(ROOT, 'projects', name, 'README.md')), \
            f'projects/{name}/ has no README.md'
        assert f'({name}/' in index or f'({name})' in index, \
            f'projects/README.md does not link projects/{name}/'


def test_projects_reference_nothing_outside_the_repository():
    files = [
        p for p in glob.glob(
            osp.join(ROOT, 'projects', '**', '*'), recursive=True)
        if p.endswith(('.py', '.md'))
    ]
    for path in files:
        with open(path, encoding='utf-8') as f:
            text = f.read()
        assert not re.search(r'specs[/]|\.\./shared|\u00a7', text), \
            f'{osp.relpath(path, ROOT)} cites a file outside the repository'


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.relpath(p, ROOT) for p in CONFIGS])
def test_project_config_builds(path):
    from mmwsss.registry import MODELS
    from mmwsss.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmwsss'
    assert 'stages' in cfg, f'{path}: no stages section'
    model = MODELS.build(cfg.model)  # no init_weights: no checkpoint read
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 64, 64), mode='tensor')
    assert torch.isfinite(out).all()


def test_gpp_fsl_aeft_toy_composes_its_parents():
    """Config only: the AEFT + GPP toy config plus the FSL plug-in loss."""
    path = osp.join(ROOT, 'projects', 'gpp_fsl_aeft_toy', 'configs',
                    'aeft_gpp_fsl_r38tiny_pretrained_toy.py')
    cfg = Config.fromfile(path)
    parent = Config.fromfile(
        osp.join(ROOT, 'configs', 'aeft',
                 'aeft_gpp_r38tiny_pretrained_toy.py'))
    assert cfg.model.type == 'AEFTClassifier'
    assert cfg.model.head.type == 'GPPHead'
    assert cfg.model.triplet_loss.type == 'TripletErasingLoss'
    assert [loss.type for loss in cfg.model.losses] == [
        'FeatureSimilarityLoss'
    ]
    assert cfg.model.losses[0].sigma == pytest.approx(5.0 * 12 / 56)
    # everything but the plug-in loss is the parent's
    child = cfg.to_dict()
    child['model'].pop('losses')
    expected = parent.to_dict()
    expected['model'].pop('losses', None)
    for key in ('model', 'train_dataloader', 'optim_wrapper',
                'param_scheduler', 'train_cfg', 'custom_hooks', 'stages'):
        assert child[key] == expected[key], key
    code = glob.glob(
        osp.join(ROOT, 'projects', 'gpp_fsl_aeft_toy', '**', '*.py'),
        recursive=True)
    assert [p for p in code if '/configs/' not in p] == [], \
        'a config-only project holds no Python code outside configs/'
