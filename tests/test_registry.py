import mmseg.registry as seg_registry
from mmengine.registry import Registry

import mmwsss.registry as registry


def test_every_mmseg_registry_has_a_child():
    seg = {n for n, v in vars(seg_registry).items() if isinstance(v, Registry)}
    ours = {n for n, v in vars(registry).items() if isinstance(v, Registry)}
    # STAGES is the pipeline's own registry, with no mmseg twin
    assert ours - seg == {'STAGES'} and seg <= ours and len(seg) == 21
    assert registry.STAGES.scope == 'mmwsss' and registry.STAGES.parent is None
    for name in seg:
        child = getattr(registry, name)
        assert child.scope == 'mmwsss'
        assert child.parent is getattr(seg_registry, name)
        assert 'mmwsss.upstream' in child._locations


def test_names_resolve_through_the_chain():
    assert registry.MODELS.get('CAMClassifier').__module__.startswith('mmwsss')
    assert registry.MODELS.get('ASPPHead').__module__.startswith('mmseg')
    assert registry.VISUALIZERS.get('SegLocalVisualizer') is not None
    assert registry.TRANSFORMS.get('mmpretrain.PackInputs').__module__ \
        .startswith('mmpretrain')
    assert registry.METRICS.get('mmpretrain.AveragePrecision') is not None
    assert registry.HOOKS.get('FiniteLossCheckHook') is not None


def test_no_upstream_name_is_shadowed():
    import mmpretrain.registry as pre_registry
    for name in ('MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'HOOKS'):
        ours = set(getattr(registry, name).module_dict)
        upstream = set(getattr(seg_registry, name).module_dict) | set(
            getattr(pre_registry, name).module_dict)
        assert not ours & upstream, f'{name} shadows {ours & upstream}'
