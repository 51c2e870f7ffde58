"""CAMs and a refined label map of one image (or a folder of images).

``python demo/image_demo.py IMG CONFIG CKPT [--labels NAME ...]
[--refiner dense_crf|threshold] --out-file out.png [--device cpu]``

Writes one PNG: the image, a CAM overlay per class (titled with the class
name) and the refined label map (VOC colours) with a legend below. The
CAMs are those of the classifier's own recipe (``model.cam_cfg``, as in
stage 2) for the ``--labels`` classes, or for the predicted classes
(probability ≥ 0.5, at least the most probable one). The refiner takes the
settings of the config's refine stage when it is of the chosen type, else
its defaults. With a folder as IMG, every image in it is drawn into
``--out-dir/<stem>.png``.

Missing image, config or checkpoint files and unknown class names stop
with a message (exit status 2).
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import DictAction  # noqa: E402

from mmwsss.apis import inference_cams, init_model  # noqa: E402
from mmwsss.apis.inference import resolve_labels  # noqa: E402
from mmwsss.fileio import read_rgb  # noqa: E402
from mmwsss.registry import TASK_UTILS  # noqa: E402
from mmwsss.utils import (  # noqa: E402
    InvalidInputError,
    MissingInputError,
    exit_on_user_error,
)
from mmwsss.visualization import (  # noqa: E402
    cam_overlay,
    label_legend,
    label_overlay,
    present_values,
    save_rgb_png,
    stack_rows,
    tile_row,
    with_background,
)

REFINERS = {'dense_crf': 'DenseCRFRefiner', 'threshold': 'ThresholdRefiner'}
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Draw the CAMs and the refined label of images')
    parser.add_argument('img', help='image file, or a folder of images')
    parser.add_argument('config', help='stage-1 (CAM classifier) config')
    parser.add_argument('checkpoint', help='stage-1 checkpoint')
    parser.add_argument(
        '--labels',
        nargs='+',
        help='class names (or indices) to draw CAMs for; default: the '
        'predicted classes')
    parser.add_argument(
        '--refiner',
        choices=sorted(REFINERS),
        default='dense_crf',
        help='how the CAMs become a label map')
    parser.add_argument(
        '--bg-threshold',
        type=float,
        help='background score of --refiner threshold')
    parser.add_argument('--out-file', help='output PNG (one image)')
    parser.add_argument('--out-dir', help='output folder (folder mode)')
    parser.add_argument('--device', default='cpu', help='e.g. cuda:0')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    args = parser.parse_args(argv)
    if not (args.out_file or args.out_dir):
        parser.error('give --out-file (one image) or --out-dir')
    return args


def build_refiner(name: str, cfg, bg_threshold=None):
    """The refiner of ``--refiner``: the config's refine-stage settings
    when its refiner is of that type, else the defaults."""
    kind = REFINERS[name]
    stage = (cfg.get('stages') or {}).get('refine') or {}
    refiner = dict(stage.get('refiner') or {})
    if refiner.get('type') != kind:
        refiner = dict(type=kind)
    if bg_threshold is not None:
        if kind != 'ThresholdRefiner':
            raise InvalidInputError(
                '--bg-threshold applies to --refiner threshold only.')
        refiner['bg_threshold'] = bg_threshold
    return TASK_UTILS.build(refiner)


def image_files(path: str) -> list:
    """``[path]`` for a file, the sorted images of a folder."""
    if osp.isdir(path):
        files = sorted(
            osp.join(path, n) for n in os.listdir(path)
            if n.lower().endswith(IMAGE_SUFFIXES))
        if not files:
            raise MissingInputError(
                f'Folder {path} holds no images '
                f'({", ".join(IMAGE_SUFFIXES)}).')
        return files
    if not osp.isfile(path):
        raise MissingInputError(
            f'Image {path} does not exist. Pass an image file or a folder.')
    return [path]


def draw(image, result: dict, label, classes, refiner_name: str):
    """Image | CAM per class | refined label, legend below."""
    tiles = [image] + [cam_overlay(image, c) for c in result['cams']]
    tiles.append(label_overlay(image, label))
    row = tile_row(tiles, ['image'] + list(result['names']) + [refiner_name])
    # background keeps the image's own colours: listed only when alone
    values = [v for v in present_values(label) if v != 0] or [0]
    legend = label_legend(values, with_background(classes))
    return stack_rows([row, legend])


def main(argv=None):
    args = parse_args(argv)
    with exit_on_user_error():
        files = image_files(args.img)
        folder = osp.isdir(args.img)
        if folder and not args.out_dir:
            raise InvalidInputError(
                f'{args.img} is a folder: pass --out-dir.')
        model = init_model(args.config, args.checkpoint, args.device,
                           args.cfg_options)
        classes = model.dataset_meta['classes']
        labels = None
        if args.labels:
            labels = resolve_labels(args.labels, classes).tolist()
        refiner = build_refiner(args.refiner, model.cfg, args.bg_threshold)
        for path in files:
            image = read_rgb(path)
            # the pixels read here, BGR as the OpenMMLab pipelines load them
            result = inference_cams(model, image[..., ::-1].copy(), labels)
            label = refiner(image, result['cams'], result['keys'])
            out = args.out_file
            if folder or not out:
                stem = osp.splitext(osp.basename(path))[0]
                out = osp.join(args.out_dir, f'{stem}.png')
            save_rgb_png(out, draw(image, result, label, classes,
                                   args.refiner))
            probs = ', '.join(
                f'{n} {result["scores"][k]:.2f}'
                for n, k in zip(result['names'], result['keys']))
            print(f'{path}: {probs} -> {out}')


if __name__ == '__main__':
    main()
