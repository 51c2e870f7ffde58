"""Write PNG panels (image | CAMs | pseudo label | GT) for chosen images.

``python tools/analysis/visualize.py CONFIG --ids ID [ID ...] --out-dir DIR
[--cams DIR] [--pseudo DIR] [--split train] [--num N]``

With ``--num N`` instead of ``--ids``, the first N images of the split are
drawn. ``--cams``/``--pseudo`` default to the folders of
``tools/run_pipeline.py`` in ``--work-dir`` (default
``work_dirs/<stem>``): ``<cam stage>/cams`` and ``<refine stage>/pseudo``,
the stages named after the config's ``CAMStage`` and the ``RefineStage``
its segment stage trains on (``cams`` and ``refine`` in the examples).

When a stage has no outputs for some or all of the chosen images, a
warning names the stage and the command that makes them; an image with
neither CAMs nor a pseudo label is not drawn, and when no image has any,
the tool stops (exit status 2) instead of drawing empty panels.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

from mmengine.config import DictAction

from mmwsss import fileio
from mmwsss.fileio import load_cams, read_rgb
from mmwsss.stages import build_inference_dataset
from mmwsss.stages.cam_inference import image_id, load_config
from mmwsss.utils import (
    InvalidInputError,
    MissingInputError,
    exit_on_user_error,
)
from mmwsss.visualization import make_panel, save_rgb_png


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Draw WSSS result panels')
    parser.add_argument('config', help='method config (its dataset)')
    parser.add_argument('--out-dir', required=True, help='PNG folder')
    parser.add_argument('--ids', nargs='+', help='image ids to draw')
    parser.add_argument('--num', type=int, default=8,
                        help='without --ids: the first N images')
    parser.add_argument('--split', default='train', help='dataset split')
    parser.add_argument('--cams', help='CAM folder (stage 2)')
    parser.add_argument('--pseudo', help='pseudo-label folder (stages 3-4)')
    parser.add_argument(
        '--work-dir', help='the pipeline run (default work_dirs/<stem>)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    return parser.parse_args(argv)


def stage_name(cfg, kind: str, default: str) -> str:
    """The config's stage that makes the drawn files: the first of type
    ``kind``; for pseudo labels, the stage the segment stage trains on."""
    stages = cfg.get('stages') or {}
    if kind == 'RefineStage':
        for opts in stages.values():
            if (opts or {}).get('type') == 'SegmentStage':
                return opts.get('labels', 'refine')
    return next((name for name, opts in stages.items()
                 if (opts or {}).get('type') == kind), default)


def check_outputs(what: str, folder: str, stage: str, ids: list,
                  found: list, args) -> None:
    """Print a warning when ``folder`` lacks files of some chosen ids,
    with the command that makes them."""
    if len(found) == len(ids):
        return
    missing = [i for i in ids if i not in found]
    work_dir = f' --work-dir {args.work_dir}' if args.work_dir else ''
    where = (f'{folder} does not exist' if not osp.isdir(folder) else
             f'{folder} has none for {len(missing)} of the {len(ids)} '
             f'images (e.g. {missing[0]})')
    print(
        f'warning: no {what}: {where}. Stage "{stage}" makes them: python '
        f'tools/run_stage.py {args.config} {stage}{work_dir} (or pass the '
        f'folder with --{"cams" if what == "CAMs" else "pseudo"}).',
        file=sys.stderr)


def main(argv=None):
    args = parse_args(argv)
    with exit_on_user_error():
        cfg = load_config(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        dataset = build_inference_dataset(cfg, args.split)
        stem = osp.splitext(osp.basename(args.config))[0]
        work_dir = args.work_dir or osp.join('work_dirs', stem)
        cam_stage = stage_name(cfg, 'CAMStage', 'cams')
        pseudo_stage = stage_name(cfg, 'RefineStage', 'refine')
        cam_dir = args.cams or osp.join(work_dir, cam_stage, 'cams')
        pseudo_dir = args.pseudo or osp.join(work_dir, pseudo_stage,
                                             'pseudo')
        classes = dataset.metainfo['classes']
        infos = {
            image_id(info): info
            for info in (dataset.get_data_info(i) for i in range(len(dataset)))
        }
        ids = args.ids or list(infos)[:args.num]
        missing = [i for i in ids if i not in infos]
        if missing:
            raise InvalidInputError(
                f'ids {missing} are not in the {args.split} split of '
                f'{args.config}.')
        with_cams = [
            i for i in ids if osp.isfile(osp.join(cam_dir, f'{i}.npz'))
        ]
        with_pseudo = [
            i for i in ids if osp.isfile(osp.join(pseudo_dir, f'{i}.png'))
        ]
        check_outputs('CAMs', cam_dir, cam_stage, ids, with_cams, args)
        check_outputs('pseudo labels', pseudo_dir, pseudo_stage, ids,
                      with_pseudo, args)
        ids = [i for i in ids if i in with_cams or i in with_pseudo]
        if not ids:
            raise MissingInputError(
                f'Nothing to draw: none of the chosen images has CAMs in '
                f'{cam_dir} or a pseudo label in {pseudo_dir}. Run the '
                f'stages first (python tools/run_pipeline.py {args.config})'
                ' or pass --cams / --pseudo / --work-dir.')
        for img_id in ids:
            info = infos[img_id]
            image = read_rgb(info['img_path'])
            cams = names = pseudo = gt = None
            cam_path = osp.join(cam_dir, f'{img_id}.npz')
            if osp.isfile(cam_path):
                keys, cams = load_cams(cam_path, image.shape[:2],
                                       info['img_path'])
                names = [classes[k] for k in keys]
            pseudo_path = osp.join(pseudo_dir, f'{img_id}.png')
            if osp.isfile(pseudo_path):
                pseudo = fileio.read_label_png(pseudo_path, len(classes))
            if info.get('seg_map_path'):
                gt = fileio.read_label_png(info['seg_map_path'], len(classes))
            panel = make_panel(image, cams, names or (), pseudo, gt)
            save_rgb_png(osp.join(args.out_dir, f'{img_id}.png'), panel)
        print(f'{len(ids)} panels in {args.out_dir}')


if __name__ == '__main__':
    main()
