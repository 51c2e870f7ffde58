"""Hours per stage and CAM disk for a dataset and a number of processes,
from measured per-stage costs (``tools/analysis/cost_table.json``).

``python tools/analysis/estimate_cost.py [--gpus 1 2 4 8] [--datasets
voc_train voc_trainaug coco_train] [--rows stages] [--strides 1 4]
[--table FILE]``

Model: a stage of ``s`` seconds per image (per training sample) and ``p``
passes over ``n`` images takes ``n · p · s · P / P_s / N`` seconds on N
processes (ideal data parallelism: training splits the batch, inference
stages split the ids; the measured per-process memory stays), where the
rows of per-image work measured at ``P_s`` pixels scale with the dataset's
image pixels ``P`` (training rows have fixed crops: no scaling). CAM files
at stride ``r`` take ``overhead_r + k · b_r · P / P_0`` bytes per image
for ``k`` classes per image, ``b_r`` the bytes of one class map of ``P_0``
pixels; full-resolution float32 without compression (``4 · k · P`` bytes)
is printed beside it.
"""
import argparse
import json
import os.path as osp
from typing import Dict, List, Sequence

TABLE = osp.join(osp.dirname(osp.abspath(__file__)), 'cost_table.json')
STAGE_KEYS = ('stage', 'seconds_per_image', 'passes', 'peak_memory_gib',
              'source')
DATASET_KEYS = ('images', 'classes_per_image', 'image_pixels')


def load_table(path: str) -> dict:
    """The cost table, checked: a clear error names the file and key."""
    try:
        with open(path, encoding='utf-8') as f:
            table = json.load(f)
    except (OSError, ValueError) as e:
        raise SystemExit(f'error: cannot read the cost table {path} ({e}).')
    for key in ('datasets', 'stages', 'cam_storage'):
        if key not in table:
            raise SystemExit(f'error: {path} has no "{key}" entry.')
    for name, dataset in table['datasets'].items():
        missing = [k for k in DATASET_KEYS if k not in dataset]
        if missing:
            raise SystemExit(
                f'error: {path}: dataset "{name}" lacks {missing}.')
    for rows in ('stages', 'toy_stages'):
        for row in table.get(rows, []):
            missing = [k for k in STAGE_KEYS if k not in row]
            if missing:
                raise SystemExit(f'error: {path}: a row of "{rows}" '
                                 f'({row.get("stage")}) lacks {missing}.')
    return table


def stage_hours(row: dict, dataset: dict, gpus: int) -> float:
    """Wall hours of one stage over the dataset on ``gpus`` processes."""
    scale = dataset['image_pixels'] / row['image_pixels'] \
        if row.get('image_pixels') else 1.0
    return dataset['images'] * row['passes'] * row['seconds_per_image'] * \
        scale / gpus / 3600


def fmt(value: float) -> str:
    """Two decimals, or two significant digits below 0.1."""
    return f'{value:,.2f}' if value >= 0.1 or value == 0 else f'{value:.2g}'


def cam_bytes_per_image(storage: dict, dataset: dict, stride: int) -> float:
    """Bytes of one CAM file of the dataset at ``stride``."""
    key = str(stride)
    per_map = storage['bytes_per_class_map'][key] * (
        dataset['image_pixels'] / storage['image_pixels'])
    return storage['file_overhead_bytes'][key] + \
        dataset['classes_per_image'] * per_map


def cam_disk_gb(storage: dict, dataset: dict, stride: int) -> float:
    """Gigabytes (1e9 bytes) of the dataset's CAM folder at ``stride``."""
    return dataset['images'] * cam_bytes_per_image(storage, dataset,
                                                   stride) / 1e9


def float32_disk_gb(dataset: dict) -> float:
    """Gigabytes of full-resolution float32 CAMs without compression."""
    return dataset['images'] * dataset['classes_per_image'] * \
        dataset['image_pixels'] * 4 / 1e9


def hours_table(rows: List[dict], name: str, dataset: dict,
                gpus: Sequence[int]) -> List[str]:
    head = '| stage | s / image | passes | peak GiB | ' + ' | '.join(
        f'{g} proc. (h)' for g in gpus) + ' |'
    lines = ['', f'{name}: {dataset["images"]:,} images', head,
             '|' + '---|' * (4 + len(gpus))]
    for row in rows:
        memory = row['peak_memory_gib']
        cells = [row['stage'], f'{row["seconds_per_image"]:g}',
                 f'{row["passes"]:g}',
                 '–' if memory is None else f'{memory:g}']
        cells += [fmt(stage_hours(row, dataset, g)) for g in gpus]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return lines


def disk_table(storage: dict, datasets: Dict[str, dict],
               strides: Sequence[int]) -> List[str]:
    lines = [
        '', 'CAM files (float16 npz):', '| dataset | ' + ' | '.join(
            f'stride {s} (GB)' for s in strides) +
        ' | float32, full size, uncompressed (GB) |',
        '|' + '---|' * (2 + len(strides))
    ]
    for name, dataset in datasets.items():
        cells = [name] + [fmt(cam_disk_gb(storage, dataset, s))
                          for s in strides]
        cells.append(fmt(float32_disk_gb(dataset)))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return lines


def main(argv=None) -> List[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--table', default=TABLE)
    parser.add_argument('--gpus', type=int, nargs='+', default=[1, 2, 4, 8])
    parser.add_argument(
        '--datasets',
        nargs='+',
        default=['voc_train', 'voc_trainaug', 'coco_train'])
    parser.add_argument(
        '--rows', default='stages', help='rows of the table to use: '
        'stages (VOC-size figures) or toy_stages (the toy set)')
    parser.add_argument('--strides', type=int, nargs='+', default=[1, 4])
    args = parser.parse_args(argv)
    table = load_table(args.table)
    if min(args.gpus) < 1:
        raise SystemExit('error: --gpus takes counts >= 1.')
    unknown = [d for d in args.datasets if d not in table['datasets']]
    if unknown or args.rows not in table:
        raise SystemExit(
            f'error: {args.table} has no dataset {unknown} or rows '
            f'"{args.rows}"; datasets: {sorted(table["datasets"])}.')
    strides = [str(s) for s in args.strides]
    missing = [s for s in strides
               if s not in table['cam_storage']['bytes_per_class_map']]
    if missing:
        raise SystemExit(f'error: {args.table} has no CAM storage figure '
                         f'for stride {missing}.')
    lines = []
    for name in args.datasets:
        lines += hours_table(table[args.rows], name, table['datasets'][name],
                             args.gpus)
    lines += disk_table(table['cam_storage'],
                        {n: table['datasets'][n]
                         for n in args.datasets}, args.strides)
    print('\n'.join(lines))
    return lines


if __name__ == '__main__':
    main()
