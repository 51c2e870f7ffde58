"""tools/analysis/estimate_cost.py: the arithmetic on a hand-made table,
and the shipped table loads."""
import json

import pytest

from helpers import load_tool

TABLE = {
    'datasets': {
        'small': dict(images=1000, classes_per_image=2.0,
                      image_pixels=200),
        'big': dict(images=3600, classes_per_image=1.0, image_pixels=400),
    },
    'stages': [
        dict(stage='train', seconds_per_image=2.0, passes=3,
             peak_memory_gib=1.5, source='hand-made'),
        dict(stage='infer', seconds_per_image=0.5, image_pixels=100,
             passes=1, peak_memory_gib=None, source='hand-made'),
    ],
    'cam_storage': dict(
        image_pixels=100,
        file_overhead_bytes={'1': 10, '4': 20},
        bytes_per_class_map={'1': 1000, '4': 100}),
}


@pytest.fixture
def estimate():
    return load_tool('analysis/estimate_cost.py')


def write(tmp_path, table):
    path = tmp_path / 'table.json'
    path.write_text(json.dumps(table))
    return str(path)


def test_hours_and_disk_by_hand(estimate):
    small, big = TABLE['datasets']['small'], TABLE['datasets']['big']
    train, infer = TABLE['stages']
    # 1000 images x 3 passes x 2 s / 4 processes = 1500 s
    assert estimate.stage_hours(train, small, 4) == pytest.approx(1500 / 3600)
    # training crops do not scale with the image size
    assert estimate.stage_hours(train, big, 1) == pytest.approx(6.0)
    # 3600 x 0.5 s x (400 / 100 pixels) / 2 = 3600 s
    assert estimate.stage_hours(infer, big, 2) == pytest.approx(1.0)
    storage = TABLE['cam_storage']
    # 10 + 2 classes x 1000 bytes x 200 / 100 pixels = 4010 bytes
    assert estimate.cam_bytes_per_image(storage, small, 1) == 4010
    assert estimate.cam_bytes_per_image(storage, small, 4) == 420
    assert estimate.cam_disk_gb(storage, small, 1) == pytest.approx(4.01e-3)
    assert estimate.float32_disk_gb(big) == pytest.approx(3600 * 400 * 4e-9)


def test_printed_tables(estimate, tmp_path, capsys):
    lines = estimate.main([
        '--table', write(tmp_path, TABLE), '--datasets', 'small', '--gpus',
        '1', '4'
    ])
    assert '| train | 2 | 3 | 1.5 | 1.67 | 0.42 |' in lines
    # 1000 x 0.5 x 2 / 3600 = 0.2778 h on 1, 0.069 on 4
    assert '| infer | 0.5 | 1 | – | 0.28 | 0.069 |' in lines
    assert '| small | 0.004 | 0.00042 | 0.0016 |' in lines
    assert 'small: 1,000 images' in capsys.readouterr().out


def test_bad_tables_and_options(estimate, tmp_path):
    broken = dict(TABLE, stages=[dict(stage='x', passes=1)])
    with pytest.raises(SystemExit,
                       match=r'table.json.*\(x\) lacks.*seconds_per'):
        estimate.main(['--table', write(tmp_path, broken)])
    with pytest.raises(SystemExit, match='no dataset'):
        estimate.main(['--table', write(tmp_path, TABLE), '--datasets', 'x'])
    with pytest.raises(SystemExit, match='stride'):
        estimate.main(['--table', write(tmp_path, TABLE), '--datasets',
                       'small', '--strides', '8'])
    with pytest.raises(SystemExit, match='cannot read'):
        estimate.main(['--table', str(tmp_path / 'none.json')])


def test_shipped_table(estimate):
    lines = estimate.main([])
    assert 'coco_train: 82,081 images' in lines
    assert any(line.startswith('| coco_train |') for line in lines)
