"""Model-zoo metadata (STYLE.md §7): model-index.yml, the metafiles it
imports, the configs and READMEs they name."""
import glob
import os.path as osp

import pytest
import yaml

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(ROOT, 'configs')
# configs/ folders that are not a method with a metafile: shared bases and
# the stage-3 segmentation recipes trained on any method's pseudo labels
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
        'model-index.yml needs an "Import:" list of metafiles'
    return index['Import']


def _metafiles():
    return [(path, _load(osp.join(ROOT, path))) for path in _index()]


def _abs(path):
    return osp.join(ROOT, path)


def test_index_imports_every_metafile():
    imports = _index()
    assert len(imports) == len(set(imports)), 'duplicate imports'
    for path in imports:
        assert osp.isfile(_abs(path)), f'model-index.yml: {path} is missing'
    found = sorted(
        osp.relpath(p, ROOT)
        for p in glob.glob(osp.join(CONFIGS, '*', 'metafile.yaml')))
    assert sorted(imports) == found, \
        'model-index.yml must import exactly the configs/*/metafile.yaml'


def test_every_method_folder_has_a_metafile():
    for folder in sorted(glob.glob(osp.join(CONFIGS, '*', ''))):
        name = osp.basename(osp.dirname(folder))
        if name in NO_METAFILE:
            continue
        assert osp.isfile(osp.join(folder, 'metafile.yaml')), \
            f'configs/{name}/ has configs but no metafile.yaml (STYLE §7)'


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
                'method folder needs its README.md (STYLE §7)')
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


@pytest.mark.parametrize(
    'folder', sorted(
        osp.basename(osp.dirname(p))
        for p in glob.glob(osp.join(CONFIGS, '*', 'metafile.yaml'))))
def test_every_config_is_listed(folder):
    meta = _load(osp.join(CONFIGS, folder, 'metafile.yaml'))
    listed = {m['Config'] for m in meta.get('Models') or []}
    configs = sorted(
        osp.relpath(p, ROOT)
        for p in glob.glob(osp.join(CONFIGS, folder, '*.py')))
    missing = [c for c in configs if c not in listed]
    assert not missing, \
        f'configs/{folder}/metafile.yaml does not list {missing}'
