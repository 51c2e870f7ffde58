"""The package layout of mmwsss: short files, imports that only go down.

Floors, bottom to top (a module imports from its own subpackage or from a
lower floor, never from a higher floor or another subpackage of its own
floor)::

    0  version, registry, upstream    single modules, no mmwsss import
    1  utils                            errors, atomic writes, environment
    2  fileio, ops                      file formats; shared numeric ops
    3  models, datasets, refine, evaluation, visualization, engine
    4  stages                           the pipeline steps
    5  apis                             the pipeline runner

The package root ``mmwsss/__init__.py`` (version checks) stands outside the
floors. Imports are read with :mod:`ast`, including those inside functions;
``importlib`` calls by name (``register_all_modules``, registry
``locations``) are not imports here.
"""
import ast
import os
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PACKAGE = osp.join(ROOT, 'mmwsss')
MAX_LINES = 400
FLOORS = {
    'version': 0, 'registry': 0, 'upstream': 0,
    'utils': 1,
    'fileio': 2, 'ops': 2,
    'models': 3, 'datasets': 3, 'refine': 3, 'evaluation': 3,
    'visualization': 3, 'engine': 3,
    'stages': 4,
    'apis': 5,
}


def package_files():
    for folder, _, names in os.walk(PACKAGE):
        for name in sorted(names):
            if name.endswith('.py'):
                yield osp.join(folder, name)


def module_name(path):
    rel = osp.relpath(path, ROOT)[:-len('.py')].split(os.sep)
    return '.'.join(rel[:-1] if rel[-1] == '__init__' else rel)


def subpackage(module):
    """``mmwsss.models.heads.x`` -> ``models``; None for the root."""
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else None


def imported_modules(path):
    """Absolute names of the mmwsss modules that ``path`` imports."""
    tree = ast.parse(open(path, encoding='utf-8').read(), path)
    own = module_name(path)
    is_package = path.endswith('__init__.py')
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = own.split('.')
                drop = node.level - 1 if is_package else node.level
                base = base[:len(base) - drop]
                module = '.'.join(base + ([node.module] if node.module
                                          else []))
            else:
                module = node.module
            yield module, node.lineno
            for alias in node.names:  # `from mmwsss import fileio`
                yield f'{module}.{alias.name}', node.lineno


def internal_imports():
    """(file, line, importing subpackage, imported subpackage)."""
    found = set()
    for path in package_files():
        src = subpackage(module_name(path))
        for module, line in imported_modules(path):
            if module.split('.')[0] != 'mmwsss':
                continue
            dst = subpackage(module)
            if dst in FLOORS and src is not None and dst != src:
                found.add((osp.relpath(path, ROOT), line, src, dst))
    return sorted(found)


def test_floors_cover_every_subpackage():
    names = {n[:-3] if n.endswith('.py') else n
             for n in os.listdir(PACKAGE)
             if not n.startswith(('_', '.')) and n != '__pycache__'}
    assert names == set(FLOORS), 'give each new subpackage a floor'


def test_no_file_over_max_lines():
    long = {}
    for path in package_files():
        with open(path, encoding='utf-8') as f:
            count = sum(1 for _ in f)
        if count > MAX_LINES:
            long[osp.relpath(path, ROOT)] = count
    assert not long, f'files over {MAX_LINES} lines: {long}'


def test_imports_only_go_down():
    bad = [
        f'{path}:{line} ({src}, floor {FLOORS[src]}) imports {dst} '
        f'(floor {FLOORS[dst]})'
        for path, line, src, dst in internal_imports()
        if FLOORS[dst] >= FLOORS[src]
    ]
    assert not bad, 'imports of a higher or the same floor:\n' + \
        '\n'.join(bad)


def test_no_cycle_between_subpackages():
    graph = {}
    for _, _, src, dst in internal_imports():
        graph.setdefault(src, set()).add(dst)
    state = {}

    def visit(node, trail):
        state[node] = 'open'
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 'open':
                raise AssertionError('import cycle: ' +
                                     ' -> '.join(trail + [node, nxt]))
            if nxt not in state:
                visit(nxt, trail + [node])
        state[node] = 'done'

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
