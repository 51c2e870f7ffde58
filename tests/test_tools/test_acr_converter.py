"""tools/model_converters/acr_official.py on synthetic official ACR
checkpoints: ``net_main.*`` / ``net_recon.*`` keys with the official names
and shapes of sangrockEG/ACR (``Net_main``, ``Net_recon``, ``GeneratorUNet``)
at 1/16 trunk width and a depth-5 decoder."""
import argparse
import sys
import types
from collections import OrderedDict

import pytest
import torch
import torch.nn as nn

from helpers import load_tool
from mmwsss.models.backbones import ResNet38d
from mmwsss.registry import MODELS
from mmwsss.utils import InvalidInputError

conv = load_tool('model_converters/acr_official.py', 'acr_official')

WIDTH = 1 / 16  # b5_in 32, b6_in 64, final 256 channels
K, HID = 20, 16
TAPS = {'dr1': (8, 32), 'dr2': (16, 64), 'fc_recon': (32, 256)}
DEC = (8, 16, 32, 32, 32)


def unet_shapes(in_ch=56, ch=DEC):
    """Official GeneratorUNet key -> shape, written from the official
    layer list (ConvTranspose2d weights are (in, out, 4, 4))."""
    n = len(ch)
    shapes = OrderedDict()
    for k in range(n):
        shapes[f'genUnet.down{k + 1}.model.0.weight'] = (
            ch[k], in_ch if k == 0 else ch[k - 1], 4, 4)
    for j in range(1, n):
        c_in = ch[-1] if j == 1 else 2 * ch[n - j]
        shapes[f'genUnet.up{j}.model.0.weight'] = (c_in, ch[n - j - 1], 4, 4)
    shapes['genUnet.final.1.weight'] = (3, 2 * ch[0], 3, 3)
    shapes['genUnet.final.1.bias'] = (3, )
    return shapes


def net_shapes():
    trunk = ResNet38d(width_mult=WIDTH).state_dict()
    shapes = OrderedDict((k, tuple(v.shape)) for k, v in trunk.items())
    shapes['fc8.weight'] = (HID, 256, 1, 1)
    shapes['fc9.weight'] = (K, HID, 1, 1)
    for name, (out, inp) in TAPS.items():
        shapes[f'{name}.weight'] = (out, inp, 1, 1)
    shapes.update(unet_shapes())
    return shapes


def official_state_dict(nets=('net_main', 'net_recon')):
    gen = torch.Generator().manual_seed(0)
    sd = OrderedDict()
    for net in nets:
        for key, shape in net_shapes().items():
            sd[f'{net}.{key}'] = (
                torch.tensor(5) if key.endswith('num_batches_tracked') else
                torch.rand(shape, generator=gen))
    return sd


def acr_container():
    """backbone + head + reconstructor: the attribute names of
    ACRClassifier."""
    model = nn.Module()
    model.backbone = ResNet38d(width_mult=WIDTH)
    model.head = MODELS.build(dict(
        type='GAPHead', num_classes=K, in_channels=256, hidden_channels=HID))
    model.reconstructor = MODELS.build(dict(
        type='ACRReconstructor',
        encoder=dict(type='ResNet38d', width_mult=WIDTH,
                     out_indices=(3, 5, 6)),
        head=dict(type='GAPHead', num_classes=K, in_channels=256,
                  hidden_channels=HID),
        decoder=dict(type='ReconstructionUNet', in_channels=56,
                     channels=DEC, dropout=(0, ) * 5),
        tap_channels=(8, 16, 32)))
    return model


def test_key_mapping_examples():
    m = conv.official_key_to_mmwsss
    assert m('net_main.b4_5.conv_branch2b1.weight') == \
        'backbone.b4_5.conv_branch2b1.weight'
    assert m('net_main.fc8.weight') == 'head.hidden.weight'
    assert m('net_main.fc9.weight') == 'head.classifier.weight'
    assert m('net_recon.bn7.running_var') == \
        'reconstructor.encoder.bn7.running_var'
    assert m('net_recon.fc9.weight') == 'reconstructor.head.classifier.weight'
    assert m('net_recon.dr1.weight') == 'reconstructor.taps.0.weight'
    assert m('net_recon.dr2.weight') == 'reconstructor.taps.1.weight'
    assert m('net_recon.fc_recon.weight') == 'reconstructor.taps.2.weight'
    assert m('net_recon.genUnet.down3.model.0.weight') == \
        'reconstructor.decoder.down3.conv.weight'
    assert m('net_recon.genUnet.up2.model.0.weight') == \
        'reconstructor.decoder.up2.conv.weight'
    assert m('net_recon.genUnet.final.1.bias') == \
        'reconstructor.decoder.final.conv.bias'
    for dropped in ('net_main.dr1.weight', 'net_main.fc_recon.weight',
                    'net_main.genUnet.final.1.weight'):
        assert m(dropped) == ''
    for unknown in ('net_main.fc8.bias', 'net_aux.fc8.weight',
                    'net_recon.genUnet.down1.model.1.weight', 'fc8.weight'):
        assert m(unknown) is None


def test_converts_and_loads_strictly():
    sd = official_state_dict()
    out, report = conv.convert_with_report(sd)
    model = acr_container()
    model.load_state_dict(out, strict=True)
    assert list(out) == list(model.state_dict())
    pairs = {
        'net_main.b3.conv_branch1.weight': 'backbone.b3.conv_branch1.weight',
        'net_main.fc9.weight': 'head.classifier.weight',
        'net_recon.b7.conv_branch2b2.weight':
        'reconstructor.encoder.b7.conv_branch2b2.weight',
        'net_recon.fc8.weight': 'reconstructor.head.hidden.weight',
        'net_recon.dr2.weight': 'reconstructor.taps.1.weight',
        'net_recon.genUnet.up4.model.0.weight':
        'reconstructor.decoder.up4.conv.weight',
        'net_recon.genUnet.final.1.weight':
        'reconstructor.decoder.final.conv.weight',
    }
    for old, new in pairs.items():
        assert torch.equal(out[new], sd[old]), new
    dropped = [k for k in sd if k.startswith(
        ('net_main.dr', 'net_main.fc_recon', 'net_main.genUnet'))]
    assert report['dropped'] == dropped and len(dropped) == 3 + 11
    assert report['added'] == []
    assert report['classifier'] == dict(
        width_mult=WIDTH, num_classes=K, hidden_channels=HID)
    assert report['reconstructor'] == dict(
        width_mult=WIDTH, num_classes=K, hidden_channels=HID,
        tap_channels=[8, 16, 32], decoder_channels=list(DEC),
        final_kernel=3)
    # a Lightning checkpoint dict is unwrapped
    wrapped = conv.convert_acr_state_dict(dict(state_dict=sd, epoch=39))
    assert list(wrapped) == list(out)


def test_classifier_only_checkpoint():
    out, report = conv.convert_with_report(official_state_dict(('net_main',
                                                                )))
    assert report['reconstructor'] is None
    assert all(k.startswith(('backbone.', 'head.')) for k in out)
    acr_container().load_state_dict(out, strict=False)


def test_missing_num_batches_tracked_filled():
    sd = official_state_dict()
    gone = [k for k in sd if k.endswith('num_batches_tracked')]
    for key in gone:
        del sd[key]
    out, report = conv.convert_with_report(sd)
    assert len(report['added']) == len(gone)
    assert out['reconstructor.encoder.bn7.num_batches_tracked'].item() == 0
    acr_container().load_state_dict(out, strict=True)


def test_unknown_missing_and_wrong_shapes_raise():
    sd = official_state_dict()
    sd['net_recon.fc8.bias'] = torch.zeros(HID)
    with pytest.raises(InvalidInputError, match='net_recon.fc8.bias'):
        conv.convert_acr_state_dict(sd)
    converted = conv.convert_acr_state_dict(official_state_dict())
    with pytest.raises(InvalidInputError, match='mmwsss keys already'):
        conv.convert_acr_state_dict(converted)

    sd = official_state_dict()
    del sd['net_recon.genUnet.up3.model.0.weight']
    with pytest.raises(InvalidInputError,
                       match=r'reconstructor\.decoder\.up3\.conv\.weight'):
        conv.convert_acr_state_dict(sd)
    sd = official_state_dict()
    del sd['net_recon.dr1.weight']
    with pytest.raises(InvalidInputError, match='net_recon.dr1.weight'):
        conv.convert_acr_state_dict(sd)
    sd = official_state_dict()
    del sd['net_recon.genUnet.down2.model.0.weight']
    with pytest.raises(InvalidInputError, match=r'down blocks \[1, 3, 4, 5\]'):
        conv.convert_acr_state_dict(sd)
    sd = official_state_dict()
    sd['net_recon.genUnet.up2.model.0.weight'] = torch.zeros(64, 16, 4, 4)
    with pytest.raises(InvalidInputError, match='shapes inconsistent'):
        conv.convert_acr_state_dict(sd)
    sd = official_state_dict()
    sd['net_main.fc9.weight'] = torch.zeros(K, HID + 1, 1, 1)
    with pytest.raises(InvalidInputError, match='head.classifier.weight'):
        conv.convert_acr_state_dict(sd)


def _lightning_checkpoint(path, extra=None):
    """Save what a Lightning 1.3 checkpoint holds: hyper-parameters as an
    argparse.Namespace and callback states keyed by a Lightning class
    (made importable only while saving)."""
    names = ('pytorch_lightning', 'pytorch_lightning.callbacks',
             'pytorch_lightning.callbacks.model_checkpoint')
    for name in names:
        sys.modules[name] = types.ModuleType(name)
    cls = type('ModelCheckpoint', (), {'__module__': names[-1]})
    sys.modules[names[-1]].ModelCheckpoint = cls
    ckpt = {'epoch': 39, 'global_step': 52880,
            'pytorch-lightning_version': '1.3.7',
            'state_dict': official_state_dict(),
            'callbacks': {cls: {'best_model_score': torch.tensor(0.6)}},
            'optimizer_states': [], 'lr_schedulers': [],
            'hparams_name': 'args',
            'hyper_parameters': {'args': argparse.Namespace(
                lr=0.01, W=[1, 0.2, 0.8, 0.3], grid=16)}}
    ckpt.update(extra or {})
    try:
        torch.save(ckpt, str(path))
    finally:
        for name in names:
            del sys.modules[name]


def test_convert_lightning_file(tmp_path, capsys):
    src = tmp_path / 'last.ckpt'
    _lightning_checkpoint(src)
    dst = tmp_path / 'out' / 'acr.pth'
    assert conv.main([str(src), str(dst)]) == 0
    text = capsys.readouterr().out
    assert 'never uses' in text and f'saved {dst}' in text
    assert 'decoder channels [8, 16, 32, 32, 32]' in text
    saved = torch.load(str(dst), map_location='cpu', weights_only=True)
    assert set(saved) == {'state_dict', 'meta'}
    acr_container().load_state_dict(saved['state_dict'], strict=True)
    assert saved['meta']['reconstructor']['tap_channels'] == [8, 16, 32]
    assert len(saved['meta']['source_sha256']) == 64


def test_refuses_other_pickled_objects(tmp_path, capsys):
    name = 'acr_test_payload'
    sys.modules[name] = types.ModuleType(name)
    payload = type('Payload', (), {'__module__': name})
    sys.modules[name].Payload = payload
    src = tmp_path / 'bad.ckpt'
    try:
        torch.save({'state_dict': official_state_dict(), 'x': payload()},
                   str(src))
    finally:
        del sys.modules[name]
    assert conv.main([str(src), str(tmp_path / 'o.pth')]) == 2
    err = capsys.readouterr().err
    assert 'refusing to unpickle' in err and 'acr_test_payload' in err
    assert "['state_dict']" in err  # the fix: extract the state dict


def test_cli_errors_exit_2(tmp_path, capsys):
    assert conv.main([str(tmp_path / 'none.ckpt'), str(tmp_path / 'o')]) == 2
    assert 'checkpoint not found' in capsys.readouterr().err
    src = tmp_path / 'unknown.pth'
    sd = official_state_dict()
    sd['net_main.aux.weight'] = torch.zeros(1)
    torch.save(sd, str(src))
    assert conv.main([str(src), str(tmp_path / 'o.pth')]) == 2
    err = capsys.readouterr().err
    assert 'net_main.aux.weight' in err and 'match no official ACR' in err
    (tmp_path / 'junk.pth').write_bytes(b'not a checkpoint')
    assert conv.main([str(tmp_path / 'junk.pth'),
                      str(tmp_path / 'o.pth')]) == 2
    assert 'not a readable torch checkpoint' in capsys.readouterr().err
