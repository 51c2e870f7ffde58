"""mmwsss registries: one child (scope ``'mmwsss'``) of every mmseg registry.

Lookups resolve ``mmwsss -> mmseg -> mmengine``; mmpretrain components are
reached with the ``'mmpretrain.'`` prefix (e.g. ``'mmpretrain.PackInputs'``).
A child's lookup never triggers its parent's ``locations``, so every child
lists :mod:`mmwsss.upstream`, which imports the mmseg/mmpretrain twins.
"""
import mmseg.registry as _seg
from mmengine.registry import Registry

_UP = 'mmwsss.upstream'


def _child(name: str, parent: Registry, *own: str) -> Registry:
    return Registry(
        name, parent=parent, scope='mmwsss', locations=[_UP, *own])


RUNNERS = _child('runner', _seg.RUNNERS)
RUNNER_CONSTRUCTORS = _child('runner constructor', _seg.RUNNER_CONSTRUCTORS)
LOOPS = _child('loop', _seg.LOOPS, 'mmwsss.engine')
HOOKS = _child('hook', _seg.HOOKS, 'mmwsss.engine',
               'mmwsss.visualization')
DATASETS = _child('dataset', _seg.DATASETS, 'mmwsss.datasets')
DATA_SAMPLERS = _child('data sampler', _seg.DATA_SAMPLERS, 'mmwsss.datasets')
TRANSFORMS = _child('transform', _seg.TRANSFORMS, 'mmwsss.datasets')
MODELS = _child('model', _seg.MODELS, 'mmwsss.models')
MODEL_WRAPPERS = _child('model_wrapper', _seg.MODEL_WRAPPERS, 'mmwsss.models')
WEIGHT_INITIALIZERS = _child('weight initializer', _seg.WEIGHT_INITIALIZERS,
                             'mmwsss.models')
OPTIMIZERS = _child('optimizer', _seg.OPTIMIZERS, 'mmwsss.engine')
OPTIM_WRAPPERS = _child('optim_wrapper', _seg.OPTIM_WRAPPERS, 'mmwsss.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    _seg.OPTIM_WRAPPER_CONSTRUCTORS,
                                    'mmwsss.engine')
PARAM_SCHEDULERS = _child('parameter scheduler', _seg.PARAM_SCHEDULERS,
                          'mmwsss.engine')
METRICS = _child('metric', _seg.METRICS, 'mmwsss.evaluation')
EVALUATOR = _child('evaluator', _seg.EVALUATOR, 'mmwsss.evaluation')
TASK_UTILS = _child('task util', _seg.TASK_UTILS, 'mmwsss.models',
                    'mmwsss.refine')
VISUALIZERS = _child('visualizer', _seg.VISUALIZERS)
VISBACKENDS = _child('vis_backend', _seg.VISBACKENDS)
LOG_PROCESSORS = _child('log_processor', _seg.LOG_PROCESSORS)
INFERENCERS = _child('inferencer', _seg.INFERENCERS)
# the pipeline's own steps (train, cams, refine, box labels, segment, ...):
# no mmseg twin, so a root registry of the mmwsss scope
STAGES = Registry('stage', scope='mmwsss', locations=['mmwsss.stages'])

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'DATASETS',
    'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS',
    'WEIGHT_INITIALIZERS', 'OPTIMIZERS', 'OPTIM_WRAPPERS',
    'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'METRICS', 'EVALUATOR',
    'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS',
    'INFERENCERS', 'STAGES'
]
