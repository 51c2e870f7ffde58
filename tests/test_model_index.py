"""Model-zoo metadata (CONTRIBUTING.md, "Model zoo"): model-index.yml, the
metafiles it imports, the configs and READMEs they name.

The checks cover the shipped method folders, those whose metafile
model-index.yml imports: a folder of one's own under configs/ (with or
without a metafile.yaml) is left alone."""
import glob
import os
import os.path as osp
import shutil
import uuid

import pytest
import yaml

from helpers import ROOT

CONFIGS = osp.join(ROOT, 'configs')
HOWTO = 'see "Model zoo" in CONTRIBUTING.md'
# configs/ folders that are not a method with a metafile: shared bases and
# the stage-5 segmentation recipes trained on any method's pseudo labels
NO_METAFILE = {'_base_', 'deeplab'}
COLLECTION_KEYS = ('Name', 'Paper', 'README', 'Metadata')
MODEL_KEYS = ('Name', 'In Collection', 'Config', 'Metadata')
MODEL_METADATA_KEYS = ('Training Data', 'Batch Size', 'Architecture',
                       'Training Resources')


def _load(path):
    with open(path, encoding='utf-8') as f:
        return yaml.safe_load(f)


def _index():
    index = _load(osp.join(ROOT, 'model-index.yml'))
    assert isinstance(index, dict) and isinstance(index.get('Import'), list), \
        f'model-index.yml needs an "Import:" list of metafiles ({HOWTO})'
    return index['Import']


def _metafiles():
    return [(path, _load(osp.join(ROOT, path))) for path in _index()]


def _abs(path):
    return osp.join(ROOT, path)


def shipped_folders():
    """Names of the method folders under configs/ that model-index.yml
    imports a metafile of."""
    return sorted(osp.basename(osp.dirname(path)) for path in _index())


def unlisted_configs(folder):
    """Configs of ``configs/<folder>/`` that its metafile does not list."""
    meta = _load(osp.join(CONFIGS, folder, 'metafile.yaml'))
    listed = {m['Config'] for m in meta.get('Models') or []}
    configs = sorted(
        osp.relpath(p, ROOT)
        for p in glob.glob(osp.join(CONFIGS, folder, '*.py')))
    return [c for c in configs if c not in listed]


def test_index_imports_metafiles_of_method_folders():
    imports = _index()
    assert imports, f'model-index.yml imports no metafile ({HOWTO})'
    assert len(imports) == len(set(imports)), \
        f'model-index.yml: duplicate imports ({HOWTO})'
    for path in imports:
        parts = path.split('/')
        assert len(parts) == 3 and parts[0] == 'configs' and \
            parts[2] == 'metafile.yaml', \
            f'model-index.yml: {path} is not configs/<method>/metafile.yaml'
        assert parts[1] not in NO_METAFILE, \
            f'model-index.yml: configs/{parts[1]}/ is not a method folder'
        assert osp.isfile(_abs(path)), \
            f'model-index.yml: {path} is missing ({HOWTO})'


def test_every_method_folder_has_a_readme():
    for name in shipped_folders():
        assert osp.isfile(osp.join(CONFIGS, name, 'README.md')), \
            f'configs/{name}/ has a metafile but no README.md ({HOWTO})'


def test_collections():
    names = []
    for path, meta in _metafiles():
        collections = meta.get('Collections')
        assert collections, f'{path}: no Collections'
        for col in collections:
            for key in COLLECTION_KEYS:
                assert key in col, f'{path}: collection lacks {key}'
            names.append(col['Name'])
            paper = col['Paper']
            assert paper.get('Title') and paper.get('URL', '').startswith(
                'https://'), f'{path}: Paper needs Title and an https URL'
            assert osp.isfile(_abs(col['README'])), (
                f'{path}: README {col["README"]} does not exist; every '
                f'method folder needs its README.md ({HOWTO})')
            assert osp.dirname(col['README']) == osp.dirname(path)
            data = col['Metadata'].get('Training Data')
            assert isinstance(data, list) and data, \
                f'{path}: Metadata.Training Data must be a non-empty list'
    assert len(names) == len(set(names)), f'duplicate collections: {names}'


def test_models():
    seen = []
    for path, meta in _metafiles():
        collections = {c['Name']: c for c in meta['Collections']}
        models = meta.get('Models')
        assert models, f'{path}: no Models'
        for model in models:
            for key in MODEL_KEYS:
                assert key in model, f'{path}: a model lacks {key}: {model}'
            name, config = model['Name'], model['Config']
            seen.append(name)
            assert model['In Collection'] in collections, \
                f'{path}: {name} is in an unknown collection'
            assert osp.isfile(_abs(config)), \
                f'{path}: {name}: config {config} does not exist'
            assert osp.splitext(osp.basename(config))[0] == name, \
                f'{path}: Name {name} must equal the config stem ({config})'
            assert osp.dirname(config) == osp.dirname(path), \
                f'{path}: {config} is not in the metafile\'s folder'
            metadata = model['Metadata']
            for key in MODEL_METADATA_KEYS:
                assert key in metadata, f'{path}: {name} lacks {key}'
            assert metadata['Training Data'] in collections[
                model['In Collection']]['Metadata']['Training Data']
            assert isinstance(metadata['Batch Size'], int)
            assert isinstance(metadata['Architecture'], list)
            results = model.get('Results', [])
            results = [results] if isinstance(results, dict) else results
            for result in results:
                assert {'Task', 'Dataset', 'Metrics'} <= set(result), \
                    f'{path}: {name}: a result needs Task, Dataset, Metrics'
                assert isinstance(result['Metrics'], dict)
            for key in ('Weights', 'Training log'):
                if key in model:
                    assert model[key].startswith('https://'), \
                        f'{path}: {name}: {key} must be a URL'
    assert len(seen) == len(set(seen)), f'duplicate model names: {seen}'


@pytest.mark.parametrize('folder', shipped_folders())
def test_every_config_is_listed(folder):
    missing = unlisted_configs(folder)
    assert not missing, \
        f'configs/{folder}/metafile.yaml does not list {missing} ({HOWTO})'


@pytest.mark.parametrize('with_metafile', [False, True])
def test_own_config_folder_is_left_alone(with_metafile):
    """A folder of one's own under configs/ (not in model-index.yml) does
    not make the model-zoo checks fail."""
    own = osp.join(CONFIGS, f'zz_own_{uuid.uuid4().hex[:8]}')
    name = osp.basename(own)
    try:
        shutil.copytree(osp.join(CONFIGS, 'baseline'), own)
        with open(osp.join(own, 'my_gap_r38tiny_toy.py'), 'w') as f:
            f.write("_base_ = ['./gap_r38tiny_toy.py']\n")
        if not with_metafile:
            for extra in ('metafile.yaml', 'README.md'):
                os.remove(osp.join(own, extra))
        assert name not in shipped_folders()
        test_index_imports_metafiles_of_method_folders()
        test_every_method_folder_has_a_readme()
        test_collections()
        test_models()
        for folder in shipped_folders():
            test_every_config_is_listed(folder)
    finally:
        shutil.rmtree(own, ignore_errors=True)
    assert not osp.exists(own)
