import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import mmwsss.models.decode_heads.deeplabv2_head  # noqa: F401  (registers the head)
from mmwsss.registry import MODELS


def build_head(**kwargs):
    cfg = dict(
        type='DeepLabV2Head',
        in_channels=4,
        num_classes=3,
        dilations=(1, 2, 3))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def samples(labels):
    return [
        SegDataSample(gt_sem_seg=PixelData(data=label[None]))
        for label in labels
    ]


def test_shapes_and_branches():
    head = build_head()
    assert len(head.conv_seg) == 3
    for conv, d in zip(head.conv_seg, (1, 2, 3)):
        assert conv.kernel_size == (3, 3) and conv.bias is not None
        assert conv.dilation == (d, d) and conv.padding == (d, d)
        assert (conv.in_channels, conv.out_channels) == (4, 3)
    feats = (torch.randn(2, 8, 5, 5), torch.randn(2, 4, 9, 7))
    logits = head(feats)  # in_index -1: the last feature map
    assert logits.shape == (2, 3, 9, 7)
    # no BN / ReLU / 1x1 classifier anywhere in the head
    kinds = {type(m) for m in head.modules()} - {type(head)}
    assert kinds == {torch.nn.ModuleList, torch.nn.Conv2d,
                     type(head.loss_decode)}


def test_logits_are_the_sum_of_hand_built_branches():
    head = build_head(
        in_channels=1, num_classes=1, threshold=0.5, dilations=(1, 2))
    with torch.no_grad():
        for conv, (w, b) in zip(head.conv_seg, ((1.0, 0.5), (2.0, -1.0))):
            conv.weight.zero_()
            conv.weight[0, 0, 1, 1] = w  # centre tap: x * w
            conv.weight[0, 0, 0, 0] = 1.0  # top-left tap at offset -d
            conv.bias.fill_(b)
    x = torch.arange(16.0).view(1, 1, 4, 4)
    shifted_1 = F.pad(x, (1, 0, 1, 0))[..., :4, :4]  # x[i-1, j-1], zero pad
    shifted_2 = F.pad(x, (2, 0, 2, 0))[..., :4, :4]  # x[i-2, j-2]
    expected = (1.0 * x + shifted_1 + 0.5) + (2.0 * x + shifted_2 - 1.0)
    assert torch.allclose(head((x, )), expected)
    # and equal to summing the branches applied separately
    direct = sum(
        F.conv2d(x, c.weight, c.bias, padding=c.padding, dilation=c.dilation)
        for c in head.conv_seg)
    assert torch.allclose(head((x, )), direct)


def test_init_is_deeplab_normal():
    torch.manual_seed(0)
    head = build_head(in_channels=64, num_classes=21, dilations=(6, 12))
    head.init_weights()
    for conv in head.conv_seg:
        assert conv.weight.std().item() == pytest.approx(0.01, rel=0.1)
        assert torch.all(conv.bias == 0)


def test_loss_backward_reaches_every_parameter():
    torch.manual_seed(0)
    head = build_head()
    feats = (torch.randn(2, 4, 6, 6, requires_grad=True), )
    labels = torch.randint(0, 3, (2, 24, 24))
    labels[0, :4] = 255  # ignored pixels
    losses = head.loss(feats, samples(labels), train_cfg=None)
    assert set(losses) == {'loss_ce', 'acc_seg'}
    assert losses['loss_ce'].ndim == 0 and losses['loss_ce'] > 0
    losses['loss_ce'].backward()
    for name, param in head.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name
    assert feats[0].grad is not None


def test_predict_resizes_to_the_image():
    head = build_head()
    logits = head.predict((torch.randn(1, 4, 5, 5), ),
                          [dict(img_shape=(40, 40), pad_shape=(40, 40))],
                          test_cfg=None)
    assert logits.shape == (1, 3, 40, 40)


def test_dropout_is_applied_before_the_branches():
    torch.manual_seed(0)
    head = build_head(dropout_ratio=0.5)
    assert isinstance(head.dropout, torch.nn.Dropout2d)
    x = (torch.randn(1, 4, 5, 5), )
    plain = build_head()
    plain.load_state_dict(head.state_dict())
    assert not torch.allclose(head.train()(x), plain(x))
    assert torch.allclose(head.eval()(x), plain(x))


@pytest.mark.parametrize('dilations', [(), (0, 6)])
def test_bad_dilations(dilations):
    with pytest.raises(ValueError):
        build_head(dilations=dilations)
