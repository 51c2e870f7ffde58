"""Write PNG panels (image | CAMs | pseudo label | GT) for chosen images.

``python tools/analysis/visualize.py CONFIG --ids ID [ID ...] --out-dir DIR
[--cams DIR] [--pseudo DIR] [--split train] [--num N]``

With ``--num N`` instead of ``--ids``, the first N images of the split are
drawn. ``--cams``/``--pseudo`` default to the folders of
``tools/run_pipeline.py`` (``work_dirs/<stem>/cams/cams``,
``work_dirs/<stem>/refine/pseudo``).
"""
import argparse
import io
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

from mmengine.config import DictAction
from PIL import Image

from mmwsss import fileio
from mmwsss.fileio import load_cams, read_rgb
from mmwsss.stages import build_inference_dataset
from mmwsss.stages.cam_inference import image_id, load_config
from mmwsss.utils import InvalidInputError, exit_on_user_error
from mmwsss.utils.atomic_io import atomic_write
from mmwsss.visualization import make_panel


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Draw WSSS result panels')
    parser.add_argument('config', help='method config (its dataset)')
    parser.add_argument('--out-dir', required=True, help='PNG folder')
    parser.add_argument('--ids', nargs='+', help='image ids to draw')
    parser.add_argument('--num', type=int, default=8,
                        help='without --ids: the first N images')
    parser.add_argument('--split', default='train', help='dataset split')
    parser.add_argument('--cams', help='CAM folder (stage 2)')
    parser.add_argument('--pseudo', help='pseudo-label folder (stage 4)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    with exit_on_user_error():
        cfg = load_config(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        dataset = build_inference_dataset(cfg, args.split)
        stem = osp.splitext(osp.basename(args.config))[0]
        cam_dir = args.cams or osp.join('work_dirs', stem, 'cams', 'cams')
        pseudo_dir = args.pseudo or osp.join('work_dirs', stem, 'refine',
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
            buf = io.BytesIO()
            Image.fromarray(panel).save(buf, format='PNG')
            atomic_write(osp.join(args.out_dir, f'{img_id}.png'),
                         buf.getvalue())
        print(f'{len(ids)} panels in {args.out_dir}')


if __name__ == '__main__':
    main()
