"""Tests for tools/model_converters/deeplab_caffe.py.

The ``.caffemodel`` files are written by ``tests/caffemodel_writer.py`` (no
caffe or protobuf needed); the reader's own tests (wire format, corrupt
files) are in ``tests/test_fileio/test_caffemodel.py``.
"""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from caffemodel_writer import (
    V1_CONVOLUTION,
    V1_DATA,
    V1_INNER_PRODUCT,
    V1_RELU,
    blob,
    layer,
    net,
    write,
)
from helpers import ROOT, load_tool
from mmwsss.models.backbones import VGG16LargeFOV
from mmwsss.registry import MODELS
from mmwsss.utils import InvalidInputError, MissingInputError

conv = load_tool('model_converters/deeplab_caffe.py', 'deeplab_caffe')


@pytest.fixture(scope='module')
def vgg_caffemodel(tmp_path_factory):
    """Full-size DeepLab-V1 ``vgg16_20M`` in the V1 format: 4-D legacy
    shapes, fc7 as an InnerProduct (1x1xOUTxIN), an fc8 to drop."""
    rng = np.random.default_rng(0)
    with torch.device('meta'):
        shapes = {k: v.shape for k, v in VGG16LargeFOV().state_dict().items()}
    values = {k: rng.random(s, dtype=np.float32) for k, s in shapes.items()}
    layers = [layer('data', V1_DATA, fmt='v1')]
    for name in dict.fromkeys(k.rsplit('.', 1)[0] for k in shapes):
        w, b = values[f'{name}.weight'], values[f'{name}.bias']
        if name == 'fc7':
            blobs = [blob(w, legacy=(1, 1) + w.shape[:2]),
                     blob(b, legacy=(1, 1, 1, b.size))]
            type_ = V1_INNER_PRODUCT
        else:
            blobs = [blob(w, legacy=w.shape),
                     blob(b, legacy=(1, 1, 1, b.size))]
            type_ = V1_CONVOLUTION
        layers += [layer(name, type_, blobs, 'v1'),
                   layer(f'relu_{name}', V1_RELU, fmt='v1')]
    fc8 = [blob(np.ones((21, 1024, 1, 1)), legacy=(21, 1024, 1, 1)),
           blob(np.ones(21), legacy=(1, 1, 1, 21))]
    layers.append(layer('fc8_voc12', V1_CONVOLUTION, fc8, 'v1'))
    path = tmp_path_factory.mktemp('caffe') / 'vgg16_20M.caffemodel'
    return write(path, net(layers, 'v1', 'DeepLab-LargeFOV')), values


def test_vgg16_v1_file_converts_and_loads(vgg_caffemodel, tmp_path, capsys):
    src, values = vgg_caffemodel
    dst = tmp_path / 'out' / 'vgg16_20M_deeplab.pth'
    assert conv.main(['--arch', 'vgg16', src, str(dst)]) == 0
    printed = capsys.readouterr().out
    assert 'converted 30 tensors (caffemodel-layers-v1' in printed
    assert 'dropped 1 layers: fc8_voc12 (Convolution, 2 blobs)' in printed
    ckpt = torch.load(dst, map_location='cpu', weights_only=True)
    assert ckpt['meta']['source_net_name'] == 'DeepLab-LargeFOV'
    state = ckpt['state_dict']
    assert list(state) == list(values)
    for k, v in values.items():
        assert state[k].dtype == torch.float32
        assert torch.equal(state[k], torch.from_numpy(v)), k
    VGG16LargeFOV().load_state_dict(state, strict=True)
    # Where the BANA configs read it: the backbone's Pretrained init_cfg
    # (no prefix).
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'bana', 'bana_deeplabv1_vgg16_voc.py'))
    assert cfg.pretrained == 'pretrained/vgg16_20M_deeplab.pth'
    assert 'prefix' not in cfg.model.backbone.init_cfg
    cfg.model.backbone.init_cfg.checkpoint = str(dst)
    backbone = MODELS.build(cfg.model.backbone)
    backbone.init_weights()
    assert torch.equal(backbone.fc6.weight.data,
                       torch.from_numpy(values['fc6.weight']))


def test_truncated_file(vgg_caffemodel, tmp_path, capsys):
    data = open(vgg_caffemodel[0], 'rb').read()
    src = write(tmp_path / 'truncated.caffemodel', data[:len(data) // 2])
    dst = tmp_path / 'a.pth'
    with pytest.raises(InvalidInputError, match='truncated'):
        conv.convert(src, str(dst), 'vgg16')
    assert conv.main(['--arch', 'vgg16', src, str(dst)]) == 2
    err = capsys.readouterr().err
    assert src in err and 'truncated' in err and 'vgg16_20M' in err
    assert not dst.exists()


def resnet_layers(rng):
    """A handful of DeepLab-V2 ResNet-101 layers with random values and the
    state-dict values they should give; BN scale factors 0 (read as 1) and
    3.5, BN means as unpacked floats."""
    shapes = conv.caffe_targets('resnet101')[1]
    layers, expected = [], {}
    for i, (caffe_conv, suffix, conv_module, bn_module) in enumerate([
        ('conv1', '_conv1', 'conv1', 'bn1'),
        ('res2a_branch1', '2a_branch1', 'layer1.0.downsample.0',
         'layer1.0.downsample.1'),
        ('res4b22_branch2c', '4b22_branch2c', 'layer3.22.conv3',
         'layer3.22.bn3'),
        ('res5c_branch2a', '5c_branch2a', 'layer4.2.conv1', 'layer4.2.bn1'),
    ]):
        weight = rng.random(shapes[f'{conv_module}.weight'], np.float32)
        mean, var, gamma, beta = (
            rng.random(weight.shape[0], np.float32) for _ in range(4))
        factor = np.float32([0.0, 3.5][i % 2])
        s = factor if factor else np.float32(1)
        layers += [
            layer(caffe_conv, 'Convolution', [blob(weight)]),
            layer(f'bn{suffix}', 'BatchNorm', [
                blob(mean, packed=False), blob(var), blob(np.array([factor]))
            ]),
            layer(f'scale{suffix}', 'Scale', [blob(gamma), blob(beta)]),
        ]
        expected.update({
            f'{conv_module}.weight': weight,
            f'{bn_module}.running_mean': mean / s,
            f'{bn_module}.running_var': var / s,
            f'{bn_module}.weight': gamma,
            f'{bn_module}.bias': beta,
        })
    layers.append(layer('fc1_voc12_c0', 'Convolution',
                        [blob(np.ones((21, 2048, 3, 3))), blob(np.ones(21))]))
    return layers, expected


def test_resnet101_handful_of_layers(tmp_path):
    layers, expected = resnet_layers(np.random.default_rng(1))
    src = write(tmp_path / 'init.caffemodel', net(layers))
    parsed, _ = conv.read_caffemodel(src)
    state, dropped, missing = conv.map_layers(parsed, 'resnet101', src)
    assert dropped == ['fc1_voc12_c0 (Convolution, 2 blobs)']
    assert 'res2a_branch2a' in missing and 'scale5c_branch2c' in missing
    assert len(missing) == 312 - 12  # 3 stem + 33 blocks x 9 + 4 x 3 - 12
    nbt = [k for k in state if k.endswith('num_batches_tracked')]
    assert len(nbt) == 4 and all(state[k].item() == 0 for k in nbt)
    assert set(state) == set(expected) | set(nbt)
    for k, v in expected.items():
        assert torch.equal(state[k], torch.from_numpy(v)), k
    # The backbone of the BANA DeepLab-V2 config has these keys and shapes.
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'bana', 'bana_deeplabv2_r101_voc.py'))
    assert cfg.pretrained == 'pretrained/deeplabv2_r101_coco_caffe.pth'
    assert 'prefix' not in cfg.model.backbone.init_cfg
    cfg.model.backbone.init_cfg = None
    with torch.device('meta'):
        target = MODELS.build(cfg.model.backbone).state_dict()
    for k, v in state.items():
        assert target[k].shape == v.shape, k
    # Missing layers are listed by convert().
    with pytest.raises(InvalidInputError, match='300 layers of the '
                       'resnet101 model are missing: res2a_branch2a'):
        conv.convert(src, str(tmp_path / 'r101.pth'), 'resnet101')


def test_resnet101_targets_cover_the_backbone():
    targets, shapes = conv.caffe_targets('resnet101')
    fields = dict(conv=['weight'], scale=['weight', 'bias'],
                  bn=['running_mean', 'running_var', 'num_batches_tracked'])
    keys = [f'{module}.{f}' for kind, module in targets.values()
            for f in fields[kind]]
    assert len(keys) == len(set(keys)) and set(keys) == set(shapes)
    assert targets['res3b3_branch2b'] == ('conv', 'layer2.3.conv2')
    assert targets['bn4a_branch1'] == ('bn', 'layer3.0.downsample.1')
    assert targets['scale5b_branch2c'] == ('scale', 'layer4.1.bn3')
    assert 'res3b4_branch2a' not in targets and 'res4b23_branch2a' not in \
        targets and 'res2d_branch2a' not in targets


def test_wrong_shapes_blobs_and_missing_layers(tmp_path):
    fc7 = blob(np.zeros((1, 1, 1000, 1024)), legacy=(1, 1, 1000, 1024))
    src = write(tmp_path / 'a.caffemodel', net([
        layer('fc7', 'InnerProduct', [fc7, blob(np.zeros(1024))])]))
    with pytest.raises(InvalidInputError,
                       match=r"'fc7'.*\(1, 1, 1000, 1024\).*1024, 1024, 1"):
        conv.convert(src, str(tmp_path / 'o.pth'), 'vgg16')
    src = write(tmp_path / 'b.caffemodel', net([
        layer('conv1_1', 'Convolution', [blob(np.zeros((64, 3, 3, 3)))])]))
    with pytest.raises(InvalidInputError, match='1 blobs, expected 2'):
        conv.convert(src, str(tmp_path / 'o.pth'), 'vgg16')
    src = write(tmp_path / 'c.caffemodel', net([
        layer('conv1_1', 'Convolution',
              [blob(np.zeros((64, 3, 3, 3))), blob(np.zeros(64))])]))
    with pytest.raises(InvalidInputError,
                       match='14 layers of the vgg16 model are missing: '
                       'conv1_2, conv2_1'):
        conv.convert(src, str(tmp_path / 'o.pth'), 'vgg16')


def test_missing_file(tmp_path, capsys):
    missing = str(tmp_path / 'nowhere' / 'init.caffemodel')
    with pytest.raises(MissingInputError):
        conv.convert(missing, str(tmp_path / 'o.pth'), 'resnet101')
    assert conv.main(
        ['--arch', 'resnet101', missing, str(tmp_path / 'o.pth')]) == 2
    err = capsys.readouterr().err
    assert missing in err and 'ResNet-101' in err
