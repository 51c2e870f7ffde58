"""tools/analysis/benchmark_box_pseudo_labels.py runs BANA stage 2 on a
synthetic VOC-layout set and reports every step."""
import os.path as osp

import numpy as np
from PIL import Image

from helpers import ROOT, load_tool
from mmwsss import fileio
from mmwsss.datasets import TOY_CLASSES


def test_toy_config_times_every_step_and_writes_labels(tmp_path, capsys):
    tool = load_tool('analysis/benchmark_box_pseudo_labels.py')
    config = osp.join(ROOT, 'configs', 'bana', 'bana_bap_r38tiny_toy.py')
    out = tmp_path / 'bench.json'
    rows = tool.main([
        '--config', config, '--num-images', '2', '--size', '64', '48',
        '--nproc', '1', '--warmup', '0', '--work-dir', str(tmp_path),
        '--out', str(out)
    ])
    assert len(rows) == 1 and out.is_file()
    row = rows[0]
    assert row['nproc'] == 1 and row['num_images'] == row['written'] == 2
    assert all(row['seconds'][step] > 0 for step in tool.STEPS)
    assert row['wall_s_per_image'] > 0
    table = [
        line for line in capsys.readouterr().out.splitlines()
        if line.startswith('| bana_bap_r38tiny_toy.py')
    ]
    assert len(table) == 1
    cells = [cell.strip() for cell in table[0].strip('|').split('|')]
    assert cells[1:4] == ['64x48', '2', '1']
    assert all(float(cell) > 0 for cell in cells[4:])
    class_to_idx = {name: i for i, name in enumerate(TOY_CLASSES)}
    for img_id in ('bench_0000', 'bench_0001'):
        ann = fileio.parse_voc_xml(
            str(tmp_path / 'data' / 'Annotations' / f'{img_id}.xml'),
            class_to_idx)
        assert (ann['width'], ann['height']) == (64, 48)
        assert 2 <= len(ann['objects']) <= 3
        allowed = {0} | {obj['label'] + 1 for obj in ann['objects']}
        for folder in (row['out_dir'], row['ret_dir']):
            label = np.array(Image.open(osp.join(folder, f'{img_id}.png')))
            assert label.shape == (48, 64)
            assert set(np.unique(label).tolist()) <= allowed
