"""Install mmwsss: ``pip install -e .`` (the Makefile does this in a venv)."""
import os.path as osp

from setuptools import find_packages, setup


def readme() -> str:
    with open('README.md', encoding='utf-8') as f:
        return f.read()


def get_version() -> str:
    scope: dict = {}
    with open(osp.join('mmwsss', 'version.py'), encoding='utf-8') as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(fname: str) -> list:
    """Requirement lines of ``fname``, without comments and ``-r`` includes."""
    reqs = []
    with open(fname, encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line and not line.startswith('-'):
                reqs.append(line)
    return reqs


setup(
    name='mmwsss',
    version=get_version(),
    description='OpenMMLab-style toolbox for weakly-supervised semantic '
    'segmentation',
    long_description=readme(),
    long_description_content_type='text/markdown',
    keywords='weakly-supervised semantic segmentation, CAM, OpenMMLab',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'projects',
                                    'docs')),
    include_package_data=True,
    python_requires='>=3.10',
    license='Apache License 2.0',
    install_requires=parse_requirements('requirements/runtime.txt'),
    extras_require={
        'tests': parse_requirements('requirements/tests.txt'),
        # pip install -e .[tensorboard]: TensorboardVisBackend logging
        'tensorboard': [
            r for r in parse_requirements('requirements/optional.txt')
            if r.startswith('tensorboard')
        ],
        'optional': parse_requirements('requirements/optional.txt'),
    },
    zip_safe=False,
)
