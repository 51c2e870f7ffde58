import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmwsss.registry import MODELS


def build_head(**kwargs):
    cfg = dict(
        type='CosineASPPHead',
        in_channels=6,
        channels=5,
        num_classes=3,
        dilations=(1, 2, 3))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_branches_are_bias_free_dilated_convs():
    head = build_head()
    assert len(head.aspp) == 3
    for conv, d in zip(head.aspp, (1, 2, 3)):
        assert conv.bias is None and conv.kernel_size == (3, 3)
        assert conv.dilation == (d, d) and conv.padding == (d, d)
        assert (conv.in_channels, conv.out_channels) == (6, 5)
    assert head.conv_seg.bias is None
    assert head.conv_seg.weight.shape == (3, 5, 1, 1)
    # no BN anywhere
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in head.modules())


def test_phi_is_relu_of_the_summed_branches():
    torch.manual_seed(0)
    head = build_head()
    x = torch.randn(2, 6, 7, 7)
    branches = [
        F.conv2d(x, c.weight, padding=c.padding, dilation=c.dilation)
        for c in head.aspp
    ]
    phi = sum(branches).relu()
    assert torch.allclose(head.embed((x, )), phi, atol=1e-6)
    # summed then ReLU, not ReLU per branch then summed
    assert not torch.allclose(
        sum(b.relu() for b in branches), phi, atol=1e-4)
    logits = head((x, ))
    assert logits.shape == (2, 3, 7, 7)
    cos = F.cosine_similarity(
        phi[:, None], head.conv_seg.weight[None, :, :, 0, 0, None, None],
        dim=2)
    assert torch.allclose(logits, 20 * cos, atol=1e-5)


def test_init_normal_001_on_branches_and_classifier():
    head = build_head(in_channels=64, channels=256, num_classes=21)
    head.init_weights()
    for w in (head.aspp[0].weight, head.conv_seg.weight):
        assert abs(w.std().item() - 0.01) < 1.5e-3


def test_train_loss_backward():
    head = build_head()
    x = torch.randn(2, 6, 4, 4)
    label = torch.randint(0, 3, (2, 1, 10, 10))
    fin = label.clone()
    fin[:, :, :5] = 255
    batch = [
        SegDataSample(
            gt_sem_seg=PixelData(data=label[i]),
            gt_sem_seg_reliable=PixelData(data=fin[i])) for i in range(2)
    ]
    losses = head.loss((x, ), batch, None)
    assert torch.isfinite(losses['loss_nal'])
    losses['loss_nal'].backward()
    assert all(c.weight.grad is not None for c in head.aspp)


def test_bad_dilations():
    with pytest.raises(ValueError, match='dilations'):
        build_head(dilations=())
