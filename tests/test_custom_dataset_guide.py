"""docs/en/user_guides/custom_dataset.md runs as written: its code blocks,
in order, in a scratch copy of the repository layout (``tools`` and the
shipped ``configs/*`` folders linked, the guide's files written there),
with the training stages cut to 2 iterations."""
import json
import os
import os.path as osp
import re
import shlex
import subprocess
import sys

import pytest

from helpers import ROOT, load_tool
from mmwsss import fileio

GUIDE = osp.join(ROOT, 'docs', 'en', 'user_guides', 'custom_dataset.md')
image_tags = load_tool('dataset_converters/image_tags.py',
                       'converter_image_tags')
# appended to the guide's config files: 2 iterations, loading in-process
FAST = """
train_cfg = dict(max_iters=2, val_interval=2)
default_hooks = dict(checkpoint=dict(interval=2))
train_dataloader.update(num_workers=0, persistent_workers=False)
val_dataloader.update(num_workers=0, persistent_workers=False)
"""


def guide_blocks():
    """(language, text) of the fenced blocks of the guide, in order."""
    with open(GUIDE, encoding='utf-8') as f:
        text = f.read()
    return re.findall(r'^```(\w*)\n(.*?)^```', text, re.M | re.S)


def _workspace(tmp_path):
    os.symlink(osp.join(ROOT, 'tools'), tmp_path / 'tools')
    (tmp_path / 'configs').mkdir()
    for name in os.listdir(osp.join(ROOT, 'configs')):
        os.symlink(
            osp.join(ROOT, 'configs', name), tmp_path / 'configs' / name)
    return str(tmp_path)


def _run(line, cwd):
    args = shlex.split(line)
    assert args[0] == 'python' or args[0] == 'grep', line
    if args[0] == 'python':
        args[0] = sys.executable
    env = dict(os.environ, OMP_NUM_THREADS='1')
    done = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, f'{line}\n{done.stdout}\n{done.stderr}'
    return done.stdout


@pytest.mark.slow
def test_guide_runs_as_written(tmp_path):
    cwd = _workspace(tmp_path)
    outputs = []
    configs = []
    for lang, text in guide_blocks():
        first = text.splitlines()[0]
        if lang == 'python' and first.startswith('# configs/'):
            path = osp.join(cwd, first[2:].strip())
            os.makedirs(osp.dirname(path), exist_ok=True)
            with open(path, 'w') as f:
                f.write(text + ('' if 'bana' in path else FAST))
            configs.append(path)
        elif lang == 'python':
            script = osp.join(cwd, 'snippet.py')
            with open(script, 'w') as f:
                f.write(text)
            _run('python snippet.py', cwd)
        elif lang == 'bash':
            for line in text.splitlines():
                if line.strip():
                    outputs.append((line, _run(line, cwd)))
        elif lang == '' and outputs and 'image_tags.py' in outputs[-1][0]:
            # the converter's printed summary, as the guide shows it
            assert outputs[-1][1] == text, outputs[-1][1]
    assert len(configs) == 3
    commands = [line for line, _ in outputs]
    assert any('--stages cams' in c for c in commands)
    grep = dict(outputs)['grep best_threshold '
                         'work_dirs/gap_r38tiny_mydata/report.md']
    assert re.fullmatch(r'\| cams \| cam/best_threshold \| 0\.\d+ \|\n', grep)

    work_dir = osp.join(cwd, 'work_dirs', 'gap_r38tiny_mydata')
    with open(osp.join(work_dir, 'report.json')) as f:
        stages = json.load(f)['stages']
    assert {k: s['status'] for k, s in stages.items()} == dict(
        train='skipped', cams='skipped', refine='ran', segment='ran')
    # the threshold is chosen on the 10 labelled train images only
    assert stages['cams']['metrics']['cam/num_images'] == 10
    assert stages['cams']['count'] == stages['refine']['count'] == 120
    assert 'single/mIoU' in stages['segment']['metrics']
    pseudo = sorted(os.listdir(osp.join(work_dir, 'refine', 'pseudo')))
    assert len(pseudo) == 120 and pseudo[0] == 'img_0000.png'
    browsed = os.listdir(osp.join(cwd, 'work_dirs', 'browse_mydata'))
    assert len([p for p in browsed if p.endswith('.png')]) >= 1


def _tiny(root, rows, classes=('a b', 'c'), boxes=None):
    os.makedirs(osp.join(root, 'images'))
    for row in rows:
        fileio.save_label_png(osp.join(root, 'images', row[0]), [[0] * 8] * 6)
    with open(osp.join(root, 'classes.txt'), 'w') as f:
        f.write('\n'.join(classes) + '\n')
    with open(osp.join(root, 'labels.csv'), 'w') as f:
        f.write('image,split,tags\n' + ''.join(','.join(r) + '\n'
                                              for r in rows))
    if boxes is not None:
        with open(osp.join(root, 'boxes.json'), 'w') as f:
            json.dump(boxes, f)


def test_converter_files_and_errors(tmp_path):
    root = str(tmp_path / 'd')
    _tiny(root, [('x.png', 'train', 'c;a b'), ('y.png', 'train', ''),
                 ('z.png', 'val', 'c')],
          boxes={'x.png': [dict(label='c', bbox=[0, 1, 8, 6])]})
    summary = image_tags.convert(root, boxes=True)
    assert summary == dict(
        train=dict(images=1, untagged=1, masks=0),
        val=dict(images=1, untagged=0, masks=0),
        boxes=1)
    assert fileio.read_cls_labels(osp.join(root, 'cls_labels.txt'),
                                  2) == dict(x=[0, 1], z=[1])
    assert fileio.read_split(
        osp.join(root, 'ImageSets', 'Segmentation', 'val.txt')) == ['z']
    ann = fileio.parse_voc_xml(
        osp.join(root, 'Annotations', 'x.xml'), {'a b': 0, 'c': 1})
    assert (ann['width'], ann['height']) == (8, 6)
    assert ann['objects'][0]['bbox'] == (1.0, 2.0, 8.0, 6.0)

    bad = [
        ([('x.png', 'train', 'a')], None, r"line 2: tag\(s\) \['a'\]"),
        ([('x.png', 'train', 'c')], {
            'x.png': [dict(label='a b', bbox=[0, 0, 2, 2])]
        }, r"label 'a b', not one of its tags \['c'\]"),
        ([('x.png', 'train', 'c')], {
            'x.png': [dict(label='c', bbox=[0, 0, 9, 2])]
        }, r'outside the 8x6 image'),
    ]
    for i, (rows, boxes, message) in enumerate(bad):
        root = str(tmp_path / f'bad{i}')
        _tiny(root, rows, boxes=boxes)
        with pytest.raises(image_tags.InvalidInputError, match=message):
            image_tags.convert(root, boxes=boxes is not None)
