import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmwsss.models.losses.noise_aware_loss import noise_aware_loss
from mmwsss.registry import MODELS


def build_head(**kwargs):
    cfg = dict(type='CosineSegHead', in_channels=8, num_classes=4)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def samples(labels, fins=None):
    out = []
    for i, label in enumerate(labels):
        sample = SegDataSample(gt_sem_seg=PixelData(data=label[None]))
        if fins is not None:
            sample.set_data(
                dict(gt_sem_seg_reliable=PixelData(data=fins[i][None])))
        out.append(sample)
    return out


def test_cosine_scores_and_logits():
    torch.manual_seed(0)
    head = build_head()
    assert head.conv_seg.bias is None and head.conv_seg.kernel_size == (1, 1)
    feat = torch.randn(2, 8, 5, 6)
    logits, cos = head.scores(feat)
    assert logits.shape == cos.shape == (2, 4, 5, 6)
    assert cos.abs().max() <= 1 + 1e-6
    ref = F.cosine_similarity(
        feat[:, None], head.conv_seg.weight[None, :, :, 0, 0, None, None],
        dim=2)
    assert torch.allclose(cos, ref, atol=1e-6)
    assert torch.allclose(logits, 20 * cos)
    assert torch.allclose(head((feat, )), 20 * cos)
    # scale invariance of the cosine classifier
    assert torch.allclose(head.cosine(3 * feat), cos, atol=1e-6)
    # zero features (all-ReLU-off) give s = 0, not NaN
    assert torch.equal(head.cosine(torch.zeros(1, 8, 2, 2)),
                       torch.zeros(1, 4, 2, 2))


def test_dot_product_variant():
    head = build_head(classifier='dot')
    feat = torch.randn(1, 8, 3, 3)
    logits, cos = head.scores(feat)
    assert torch.allclose(logits, F.conv2d(feat, head.conv_seg.weight))
    assert torch.allclose(cos, head.cosine(feat))


def test_init_and_bad_args():
    head = build_head(in_channels=256, num_classes=21)
    head.init_weights()
    assert abs(head.conv_seg.weight.std().item() - 0.01) < 1.5e-3
    assert abs(head.conv_seg.weight.mean().item()) < 1e-3
    with pytest.raises(ValueError, match='classifier'):
        build_head(classifier='euclid')
    with pytest.raises(ValueError, match='temperature'):
        build_head(temperature=0)


def test_loss_upsamples_with_align_corners_and_uses_reliable_map():
    torch.manual_seed(0)
    head = build_head()
    feat = torch.randn(2, 8, 4, 4)
    label = torch.randint(0, 4, (2, 13, 13))
    label[:, 0, :] = 255
    fin = torch.where(torch.rand(2, 13, 13) > 0.4, label,
                      torch.full_like(label, 255))
    losses = head.loss((feat, ), samples(label, fin), None)
    assert set(losses) == {
        'loss_nal', 'nal_ce', 'nal_wce', 'nal_sigma', 'nal_unreliable',
        'acc_seg'
    }
    cos = head.cosine(feat)
    up = F.interpolate(cos, (13, 13), mode='bilinear', align_corners=True)
    ref = noise_aware_loss(up, label, fin != 255)
    assert losses['loss_nal'].item() == pytest.approx(
        ref['loss'].item(), rel=1e-5)
    assert losses['nal_wce'].item() == pytest.approx(
        ref['loss_wce'].item(), rel=1e-5)
    up_false = F.interpolate(
        cos, (13, 13), mode='bilinear', align_corners=False)
    other = noise_aware_loss(up_false, label, fin != 255)['loss'].item()
    assert other != pytest.approx(losses['loss_nal'].item(), rel=1e-4)
    losses['loss_nal'].backward()
    assert head.conv_seg.weight.grad.abs().sum() > 0


def test_reliable_map_is_padded_like_gt():
    head = build_head()
    label = torch.full((1, 6, 6), 255, dtype=torch.long)
    label[:, :4, :5] = 1
    fin = torch.ones(1, 4, 5, dtype=torch.long)  # before the batch padding
    reliable = head._stack_reliable(samples(label, fin), (6, 6))
    assert reliable.shape == (1, 6, 6)
    assert reliable[:, :4, :5].all() and not reliable[:, 4:].any()
    assert not reliable[:, :, 5:].any()
    with pytest.raises(ValueError, match='larger'):
        head._stack_reliable(samples(label, fin), (3, 3))


def test_missing_reliable_map():
    head = build_head()
    feat = torch.randn(1, 8, 4, 4)
    label = torch.randint(0, 4, (1, 9, 9))
    with pytest.raises(KeyError, match='LoadPseudoLabelPair'):
        head.loss((feat, ), samples(label), None)
    # an mmseg loss needs no reliable map
    ce_head = build_head(
        loss_decode=dict(type='CrossEntropyLoss', avg_non_ignore=True))
    losses = ce_head.loss((feat, ), samples(label), None)
    up = F.interpolate(
        20 * ce_head.cosine(feat), (9, 9),
        mode='bilinear',
        align_corners=True)
    assert losses['loss_ce'].item() == pytest.approx(
        F.cross_entropy(up, label).item(), rel=1e-5)


def test_predict_resizes_logits_with_align_corners():
    head = build_head()
    feat = torch.randn(1, 8, 4, 4)
    out = head.predict((feat, ), [dict(img_shape=(10, 10))], None)
    ref = F.interpolate(
        20 * head.cosine(feat), (10, 10), mode='bilinear',
        align_corners=True)
    assert torch.allclose(out, ref, atol=1e-5)
