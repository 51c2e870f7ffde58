"""Time BANA stage 2 (box pseudo labels Y_crf / Y_ret), seconds per image.

Example::

    python tools/analysis/benchmark_box_pseudo_labels.py --num-images 4 \
        --nproc 1 2

The run goes through :func:`mmwsss.stages.make_box_pseudo_labels`, the code
path of ``tools/run_pipeline.py`` stage ``pseudo``, on a synthetic dataset
in the VOC layout (``JPEGImages``, ``Annotations`` XMLs, an id list): smooth
random images of ``--size`` with 2-3 boxes each, a filled shape of a random
colour inside every box, classes drawn from the config's class list. The
stage-1 model of ``--config`` is built without its pretrained weights,
initialised randomly and saved as the checkpoint (the CRF runs a fixed
number of iterations, so the weights barely change the timings).

For every ``--nproc`` the table gives the mean seconds per image of each
step measured inside the workers (``forward``: backbone features;
``unaries``, ``crf``, ``retrieval``: :class:`BoxPseudoLabelGenerator`), the
stage-2 total without the forward, the wall seconds per image of the whole
call (model set-up and worker start included) and that times the number of
workers (core-seconds per image). With ``nproc > 1`` every worker runs one
torch thread; with ``nproc = 1`` the current process's threads are used
(``--threads``). On a loaded machine the figures are upper bounds.
"""
import argparse
import json
import os
import os.path as osp
import sys
import tempfile
import xml.etree.ElementTree as ET

import numpy as np
import torch
from PIL import Image
from scipy import ndimage

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from mmengine.config import Config
from mmengine.logging import MMLogger

from mmwsss.engine import without_pretrained
from mmwsss.registry import DATASETS, MODELS
from mmwsss.stages.box_pseudo_labels import STEPS, make_box_pseudo_labels
from mmwsss.utils import register_all_modules

DEFAULT_CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
    'bana', 'bana_bap_vgg16_voc.py')


def random_boxes(rng: np.random.Generator, width: int, height: int,
                 count: int) -> list:
    """``count`` boxes (x1, y1, x2, y2), VOC's 1-based inclusive integers,
    each side 20-60 % of the image's."""
    boxes = []
    for _ in range(count):
        w = int(rng.integers(max(2, width // 5), max(3, 3 * width // 5)))
        h = int(rng.integers(max(2, height // 5), max(3, 3 * height // 5)))
        x1 = int(rng.integers(1, width - w + 2))
        y1 = int(rng.integers(1, height - h + 2))
        boxes.append((x1, y1, x1 + w - 1, y1 + h - 1))
    return boxes


def render_image(rng: np.random.Generator, width: int, height: int,
                 boxes: list) -> np.ndarray:
    """Smooth coloured noise with a filled ellipse or rectangle of a random
    colour (and light texture) inside every box; uint8 (H, W, 3) RGB."""
    sigma = max(width, height) / 40
    image = ndimage.gaussian_filter(rng.random((height, width, 3)),
                                    (sigma, sigma, 0))
    image = 40 + 175 * (image - image.min()) / max(np.ptp(image), 1e-6)
    yy, xx = np.mgrid[:height, :width]
    for x1, y1, x2, y2 in boxes:
        cx, cy = (x1 + x2) / 2 - 1, (y1 + y2) / 2 - 1
        rx, ry = (x2 - x1 + 1) / 2, (y2 - y1 + 1) / 2
        if rng.random() < 0.5:
            inside = ((xx - cx) / rx)**2 + ((yy - cy) / ry)**2 <= 1
        else:
            inside = (abs(xx - cx) <= 0.8 * rx) & (abs(yy - cy) <= 0.8 * ry)
        image[inside] = rng.uniform(0, 255, 3)
    image += rng.normal(0, 6, image.shape)
    return np.clip(image, 0, 255).round().astype(np.uint8)


def voc_xml(img_id: str, width: int, height: int, objects: list) -> bytes:
    """A PASCAL VOC annotation of ``(class name, box)`` objects."""
    root = ET.Element('annotation')
    ET.SubElement(root, 'filename').text = f'{img_id}.jpg'
    size = ET.SubElement(root, 'size')
    for tag, value in (('width', width), ('height', height), ('depth', 3)):
        ET.SubElement(size, tag).text = str(value)
    for name, box in objects:
        obj = ET.SubElement(root, 'object')
        ET.SubElement(obj, 'name').text = name
        ET.SubElement(obj, 'truncated').text = '0'
        ET.SubElement(obj, 'difficult').text = '0'
        bndbox = ET.SubElement(obj, 'bndbox')
        for tag, value in zip(('xmin', 'ymin', 'xmax', 'ymax'), box):
            ET.SubElement(bndbox, tag).text = str(value)
    ET.indent(root, '\t')
    return ET.tostring(root)


def make_synthetic_voc(root: str,
                       num_images: int,
                       width: int,
                       height: int,
                       classes: tuple,
                       seed: int = 0) -> list:
    """Write the synthetic VOC-layout dataset under ``root``.

    Returns:
        list[str]: the image ids.
    """
    for folder in ('JPEGImages', 'Annotations'):
        os.makedirs(osp.join(root, folder), exist_ok=True)
    ids = [f'bench_{i:04d}' for i in range(num_images)]
    for i, img_id in enumerate(ids):
        rng = np.random.default_rng([seed, i])
        boxes = random_boxes(rng, width, height, int(rng.integers(2, 4)))
        labels = rng.integers(0, len(classes), len(boxes))
        names = [classes[label] for label in labels]
        image = Image.fromarray(render_image(rng, width, height, boxes))
        image.save(osp.join(root, 'JPEGImages', f'{img_id}.jpg'), quality=90)
        with open(osp.join(root, 'Annotations', f'{img_id}.xml'), 'wb') as f:
            f.write(voc_xml(img_id, width, height, list(zip(names, boxes))))
    return ids


def write_id_list(path: str, ids: list) -> str:
    """Write one id a line to ``path``; return its absolute path."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(''.join(f'{img_id}\n' for img_id in ids))
    return osp.abspath(path)


def prepare_config(config: str,
                   data_root: str,
                   checkpoint: str,
                   seed: int = 0) -> tuple:
    """The config without pretrained inits, reading ``data_root`` in its
    ``test_dataloader``, and its class names; saves a randomly initialised
    model as ``checkpoint``."""
    cfg = Config.fromfile(config)
    cfg.model = without_pretrained(cfg.model.to_dict())
    dataset = cfg.test_dataloader.dataset
    dataset.data_root = data_root
    classes = (dataset.get('metainfo') or {}).get('classes')
    classes = tuple(classes or DATASETS.get(dataset.type).METAINFO['classes'])
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    torch.save(dict(state_dict=model.state_dict(), meta={}), checkpoint)
    return cfg, classes


def run_stage2(cfg: Config, checkpoint: str, ann_file: str, work_dir: str,
               nproc: int, name: str) -> dict:
    """:func:`make_box_pseudo_labels` into fresh folders ``<work_dir>/
    <name>_*/``; its result plus the ``out_dir`` and ``ret_dir`` written."""
    run_dir = tempfile.mkdtemp(prefix=f'{name}_', dir=work_dir)
    out_dir, ret_dir = osp.join(run_dir, 'Y_crf'), osp.join(run_dir, 'Y_ret')
    result = make_box_pseudo_labels(cfg,
                                    checkpoint,
                                    out_dir,
                                    ret_dir,
                                    split=None,
                                    dataset=dict(ann_file=ann_file),
                                    nproc=nproc,
                                    device='cpu',
                                    progress=False)
    return dict(result, nproc=nproc, out_dir=out_dir, ret_dir=ret_dir)


def table(rows: list, config: str, width: int, height: int) -> str:
    """The results as a markdown table."""
    lines = [
        '| config | image size | images | workers | forward s/img | '
        'unaries s/img | CRF s/img | retrieval s/img | stage 2 w/o '
        'forward s/img | wall s/img | wall s/img x workers |',
        '|---|---|---|---|---|---|---|---|---|---|---|'
    ]
    for row in rows:
        sec = row['seconds']
        stage2 = sec['unaries'] + sec['crf'] + sec['retrieval']
        wall = row['wall_s_per_image']
        lines.append(
            f'| {osp.basename(config)} | {width}x{height} | '
            f'{row["written"]} | {row["nproc"]} | ' +
            ' | '.join(f'{sec[step]:.3f}' for step in STEPS) +
            f' | {stage2:.3f} | {wall:.3f} | {wall * row["nproc"]:.3f} |')
    return '\n'.join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--num-images', type=int, default=8)
    parser.add_argument('--size',
                        type=int,
                        nargs=2,
                        default=(500, 375),
                        metavar=('W', 'H'))
    parser.add_argument('--nproc', type=int, nargs='+', default=[1, 2])
    parser.add_argument(
        '--warmup',
        type=int,
        default=1,
        help='untimed images run first (imports, caches); 0 to skip')
    parser.add_argument('--threads',
                        type=int,
                        help='torch threads of the nproc=1 runs')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--work-dir',
                        help='dataset and outputs (default: a temp folder)')
    parser.add_argument('--out', help='also write the results to this JSON')
    args = parser.parse_args(argv)
    if args.num_images < 1 or min(args.size) < 8 or min(args.nproc) < 1:
        parser.error('need --num-images >= 1, --size >= 8 and --nproc >= 1')
    return args


def main(argv=None) -> list:
    """Run the benchmark; return one result dict per ``--nproc`` (its
    ``out_dir`` / ``ret_dir`` are gone unless ``--work-dir`` is given)."""
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    MMLogger.get_instance('benchmark_box_pseudo_labels', log_level='WARNING')
    register_all_modules()
    width, height = args.size
    with tempfile.TemporaryDirectory() as tmp:
        work_dir = osp.abspath(args.work_dir or tmp)
        data_root = osp.join(work_dir, 'data')
        checkpoint = osp.join(work_dir, 'random_init.pth')
        os.makedirs(work_dir, exist_ok=True)
        cfg, classes = prepare_config(args.config, data_root, checkpoint,
                                      args.seed)
        ids = make_synthetic_voc(data_root, args.num_images, width, height,
                                 classes, args.seed)
        split_dir = osp.join(data_root, 'ImageSets', 'Segmentation')
        ann_file = write_id_list(osp.join(split_dir, 'bench.txt'), ids)
        if args.warmup:
            warm_ids = ids[:args.warmup]
            warm_file = write_id_list(osp.join(split_dir, 'warmup.txt'),
                                      warm_ids)
            run_stage2(cfg, checkpoint, warm_file, work_dir, 1, 'warmup')
        rows = [
            run_stage2(cfg, checkpoint, ann_file, work_dir, nproc,
                       f'nproc{nproc}') for nproc in args.nproc
        ]
    print(f'torch threads {torch.get_num_threads()} (inter-op '
          f'{torch.get_num_interop_threads()}), OMP_NUM_THREADS='
          f'{os.environ.get("OMP_NUM_THREADS", "unset")}, os.cpu_count() '
          f'{os.cpu_count()}, load {os.getloadavg()[0]:.1f}')
    print(table(rows, args.config, width, height))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(config=args.config,
                           size=[width, height],
                           cpu_count=os.cpu_count(),
                           torch_threads=torch.get_num_threads(),
                           results=rows),
                      f,
                      indent=2)
    return rows


if __name__ == '__main__':
    main()
