"""Where the pretrained and released weights come from: the fix named when
a weight file is missing (``docs/en/user_guides/pretrained_weights.md`` has
the same table).

Each entry gives what the file is, where to download it (the official page
or the URL the official README links) and the command that puts it at the
path a config reads (``{path}``). Checksums are given only where the file
name carries one: torchvision's names end in the first 8 hex digits of the
file's SHA-256, which ``torch.hub`` checks with ``check_hash=True``.
"""
import os.path as osp
from typing import Optional

WEIGHTS = {
    'resnet38d': dict(
        file='pretrained/resnet38d_imagenet.pth',
        what='the ImageNet ResNet-38d (ademxapp model A1, '
        '`ilsvrc-cls_rna-a1_cls1000_ep-0001.params`, distributed by AEFT '
        'and ACR as `resnet_38d.params`)',
        download='https://drive.google.com/file/d/'
        '1fpb4vah3e-Ynx4cv5upUcqnpJFY_FTja/view (the copy linked from the '
        'AEFT and ACR READMEs, re-uploaded by them after a damaged upload; '
        'the original is linked from https://github.com/itijyou/ademxapp)',
        command='python tools/model_converters/resnet38d_mxnet.py '
        'resnet_38d.params {path}'),
    'resnet50': dict(
        file='pretrained/resnet50-19c8e357.pth',
        what='torchvision\'s ImageNet ResNet-50 (SHA-256 starts with '
        '19c8e357)',
        download='https://download.pytorch.org/models/resnet50-19c8e357.pth',
        command='wget -O {path} '
        'https://download.pytorch.org/models/resnet50-19c8e357.pth'),
    'resnet101': dict(
        file='pretrained/resnet101_imagenet.pth',
        what='torchvision\'s ImageNet ResNet-101 (SHA-256 starts with '
        '5d3b4d8f)',
        download='https://download.pytorch.org/models/resnet101-5d3b4d8f.pth',
        command='wget -O {path} '
        'https://download.pytorch.org/models/resnet101-5d3b4d8f.pth'),
    'resnet101_v1c': dict(
        file='pretrained/resnet101_v1c.pth',
        what='mmseg\'s ImageNet ResNet-101-V1c (open-mmlab://resnet101_v1c)',
        download='https://mmassets.onedl.ai/pretrain/third_party/'
        'resnet101_v1c-e67eebb6.pth (the URL of open-mmlab://resnet101_v1c '
        'in the pinned mmengine\'s hub/openmmlab.json)',
        command='wget -O {path} https://mmassets.onedl.ai/pretrain/'
        'third_party/resnet101_v1c-e67eebb6.pth'),
    'vgg16_deeplab': dict(
        file='pretrained/vgg16_20M_deeplab.pth',
        what='DeepLab\'s Caffe VGG-16 init model (`vgg16_20M.caffemodel`)',
        download='http://liangchiehchen.com/projects/Init%20Models.html',
        command='python tools/model_converters/deeplab_caffe.py --arch vgg16 '
        'vgg16_20M.caffemodel {path}'),
    'deeplabv2_r101_caffe': dict(
        file='pretrained/deeplabv2_r101_coco_caffe.pth',
        what='the Caffe DeepLab-V2 ResNet-101 init model (MS-COCO '
        'pretrained `init.caffemodel`)',
        download='http://liangchiehchen.com/projects/DeepLabv2_resnet.html',
        command='python tools/model_converters/deeplab_caffe.py --arch '
        'resnet101 init.caffemodel {path}'),
    'r38tiny_toypre': dict(
        file='pretrained/r38tiny_toypre.pth',
        what='the toy-pretrained 1/16-width ResNet-38d',
        download='nothing to download: it is trained here, on the seed-1 '
        'toy VOC',
        command='python tools/misc/make_toy_voc.py --out data/toyvoc_pretrain'
        ' --seed 1 && python tools/train.py configs/baseline/'
        'pretrain_r38tiny_toy.py && cp work_dirs/pretrain_r38tiny_toy/'
        'iter_1000.pth {path}'),
    'toy_classifier': dict(
        file='work_dirs/gap_r38tiny_toy/train/iter_1000.pth',
        what='the toy stage-1 classifier of `make demo`, whose trunk the '
        'toy DeepLab (configs/deeplab/deeplabv2_r38tiny_toy_pseudo.py) '
        'starts from when trained on its own',
        download='nothing to download: it is trained here',
        command='python tools/run_pipeline.py configs/baseline/'
        'gap_r38tiny_toy.py --stages train'),
    'aeft': dict(
        file='pretrained/aeft_gpp_r38_voc_official.pth',
        what='the official AEFT VOC classifier (seed mIoU 56.2 % in the '
        'KAIST-vilab/AEFT README)',
        download='https://drive.google.com/drive/folders/'
        '1_9UH1_F_Bj087E-RJ8EREOoWYw7b1Md3',
        command='python tools/model_converters/aeft_official.py '
        '<downloaded .pth> {path}'),
    'acr': dict(
        file='pretrained/acr_r38_voc_official.pth',
        what='the official ACR VOC classifier (seed mIoU 59.9 % in the '
        'sangrockEG/ACR README)',
        download='https://drive.google.com/drive/folders/'
        '1Ak7eAs8Y8ujjv8TKIp-qCW20fgiIWTc2',
        command='python tools/model_converters/acr_official.py '
        '<downloaded checkpoint> {path}'),
    'irn': dict(
        file='pretrained/irn_r50_voc_official.pth',
        what='an IRN boundary network as IRN\'s step/train_irn.py writes it '
        '(`res50_irn.pth`)',
        download='none released (https://github.com/jiwoon-ahn/irn): train '
        'it with the official code, or train configs/affinity/'
        'irn_r50_irn_voc.py here',
        command='python tools/model_converters/irn_official.py res50_irn.pth '
        '{path}'),
}
GUIDE = 'docs/en/user_guides/pretrained_weights.md'


def weight_hint(path: str, kind: Optional[str] = None) -> str:
    """How to obtain the weight file ``path``.

    Args:
        path (str): the file a config or model reads.
        kind (str, optional): a key of :data:`WEIGHTS`; default: the entry
            whose usual file has the same name as ``path``.

    Returns:
        str: what the file is, where to download it and the command that
        writes it to ``path``; for unknown files, where to look.
    """
    entry = WEIGHTS.get(kind) if kind else next(
        (e for e in WEIGHTS.values()
         if osp.basename(e['file']) == osp.basename(path)), None)
    if entry is None:
        return (f'Download or convert it ({GUIDE} lists the weights of the '
                'shipped configs and their converters), or point the config '
                'at another file.')
    return (f'{path} is {entry["what"]}. Download: {entry["download"]}. '
            f'Then: `{entry["command"].format(path=path)}` ({GUIDE}).')
