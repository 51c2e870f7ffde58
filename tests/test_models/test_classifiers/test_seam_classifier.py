import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.dataset import pseudo_collate
from mmpretrain.structures import DataSample

from helpers import ROOT, build_module, cls_preprocessor, tiny_resnet38d
from mmwsss.datasets import TOY_CLASSES
from mmwsss.models.losses.seam_losses import (
    adaptive_min_pooling_loss,
    equivariant_cross_regularization,
    equivariant_regularization,
    fill_background,
    max_onehot,
    with_background,
)
from mmwsss.models.utils import minmax_normalize
from mmwsss.registry import DATASETS, MODELS

PREPROCESSOR = cls_preprocessor()


def build_model(**kwargs):
    cfg = dict(
        type='SEAMClassifier',
        data_preprocessor=PREPROCESSOR,
        backbone=tiny_resnet38d(out_indices=('b5_in', 'b6_in', 'final')),
        head=dict(type='GAPHead', num_classes=7, in_channels=512),
        pcm=dict(
            type='PixelCorrelationModule',
            in_channels=(64, 128),
            feat_channels=(8, 16),
            embed_channels=24),
        cam_cfg=dict(scales=(1.0, ), flip=True))
    cfg.update(kwargs)
    return build_module(cfg, seed=0)


def make_samples(labels, shape=(64, 64)):
    samples = []
    for label in labels:
        sample = DataSample(metainfo=dict(img_shape=shape, ori_shape=shape))
        sample.set_gt_label(label)
        sample.set_gt_score(
            torch.zeros(6).index_fill_(0, torch.tensor(label), 1))
        samples.append(sample)
    return samples


LABELS = [[0, 2], [5]]


def targets_of(labels, dtype=torch.float32):
    return torch.stack([
        torch.zeros(6, dtype=dtype).index_fill_(0, torch.tensor(label), 1)
        for label in labels
    ])


# ----------------------------------------------------------------------
# loss pieces on hand-built tensors
def test_adaptive_min_pooling_by_hand():
    cams = torch.zeros(1, 2, 2, 2)
    cams[0, 0] = torch.tensor([[-1.0, 0.5], [2.0, 1.0]])
    cams[0, 1] = torch.tensor([[-2.0, 0.2], [0.0, 3.0]])
    # per-pixel max m = [[-1, 0.5], [2, 3]]
    assert adaptive_min_pooling_loss(cams).item() == 0  # k=1: ReLU(-1)
    # k = 2: {-1, 0.5} -> (0 + 0.5) / (2·1)
    assert adaptive_min_pooling_loss(cams, 0.5).item() == pytest.approx(
        0.25)
    both = torch.cat([cams, cams + 1])  # 2nd image m + 1: {0, 1.5}
    assert adaptive_min_pooling_loss(both, 0.5).item() == pytest.approx(
        (0.5 + 1.5) / (2 * 2))
    with pytest.raises(ValueError):
        adaptive_min_pooling_loss(cams, 0.1)


def test_equivariant_regularization_by_hand():
    a = torch.tensor([[[[0.0, 1.0], [0.5, 0.25]]]])
    b = torch.tensor([[[[1.0, 1.0], [0.0, 0.0]]]])
    assert equivariant_regularization(a, b).item() == pytest.approx(
        (1 + 0 + 0.5 + 0.25) / 4)
    with pytest.raises(ValueError):
        equivariant_regularization(a, b[..., :1])


def test_max_onehot_fill_background_and_labels():
    cams = torch.zeros(1, 3, 1, 2)
    cams[0, 0] = torch.tensor([[0.2, 0.7]])
    cams[0, 1] = torch.tensor([[0.8, 0.3]])
    cams[0, 2] = torch.tensor([[0.5, 0.3]])
    onehot = max_onehot(cams)
    assert torch.allclose(
        onehot[0, :, 0],
        torch.tensor([[0.2, 0.7], [0.8, 0.3], [0.0, 0.3]]))  # tie: both kept
    assert fill_background(cams)[0, 0, 0].tolist() == pytest.approx(
        [0.2, 0.7])
    assert cams[0, 0, 0].tolist() == pytest.approx([0.2, 0.7])  # no in-place
    cams[0, 0] = 9
    assert fill_background(cams)[0, 0, 0].tolist() == pytest.approx(
        [0.2, 0.7])
    assert with_background(torch.tensor([[0.0, 1.0]])).tolist() == [[
        1.0, 0.0, 1.0
    ]]


def test_equivariant_cross_regularization_by_hand():
    target = torch.zeros(1, 3, 1, 2)
    target[0, 0] = torch.tensor([[0.2, 0.7]])
    target[0, 1] = torch.tensor([[0.8, 0.3]])
    target[0, 2] = torch.tensor([[0.5, 0.3]])
    target.requires_grad_()
    refined = torch.zeros(1, 3, 1, 2, requires_grad=True)
    # |onehot - 0| = [0.2, 0.7, 0.8, 0.3, 0, 0.3]; k = int(6·0.5) = 3
    loss = equivariant_cross_regularization(target, refined, 0.5)
    assert loss.item() == pytest.approx((0.8 + 0.7 + 0.3) / 3)
    loss.backward()
    assert target.grad is None  # the target is detached
    assert refined.grad.abs().sum() > 0
    # default 20 %: k = int(6·0.2) = 1 -> the largest difference
    assert equivariant_cross_regularization(
        target, refined).item() == pytest.approx(0.8)
    # batch: the mean over images of each image's top-k mean
    two = equivariant_cross_regularization(
        torch.cat([target, target * 0]), torch.cat([refined, refined]), 0.5)
    assert two.item() == pytest.approx((0.8 + 0.7 + 0.3) / 6)


# ----------------------------------------------------------------------
# the model
def test_modes_shapes_and_loss_keys():
    model = build_model().train()
    inputs = torch.randn(2, 3, 64, 64)
    assert model.num_classes == 6
    assert model(inputs, mode='tensor').shape == (2, 6)
    assert model.class_maps(inputs).shape == (2, 6, 8, 8)
    assert model.refined_class_maps(inputs).shape == (2, 6, 64, 64)
    losses = model(inputs, make_samples(LABELS), mode='loss')
    assert set(losses) == {
        'loss_cls_view1', 'loss_cls_view2', 'loss_min_pool', 'loss_er',
        'loss_ecr'
    }
    assert all(torch.isfinite(v) for v in losses.values())
    outputs = model.train_outputs(inputs, targets_of(LABELS))
    assert outputs['score_maps'].shape == (2, 7, 8, 8)
    assert outputs['cams'].shape == (2, 6, 8, 8)
    assert outputs['cam_rv'].shape == (2, 7, 8, 8)
    assert outputs['up_cams'].shape == (2, 7, 64, 64)
    assert outputs['logits'].shape == (2, 6)
    view2 = outputs['view2']
    assert view2['images'].shape == (2, 3, 19, 19)  # ⌊64·0.3⌋
    assert view2['up_cams'].shape == (2, 7, 19, 19)
    assert view2['cams'].shape == (2, 6, 3, 3)  # ⌈19/8⌉


@pytest.mark.parametrize('size,expected', [(448, 134), (64, 19), (96, 28),
                                           (320, 96)])
def test_second_view_is_a_0_3_align_corners_resize(size, expected):
    model = build_model()
    inputs = torch.randn(1, 3, size, size + 10)
    view = model.second_view(inputs)
    assert view.shape[-2:] == (expected, int((size + 10) * 0.3))
    # align_corners=True keeps the four corner pixels
    for r, c in ((0, 0), (0, -1), (-1, 0), (-1, -1)):
        assert torch.allclose(view[..., r, c], inputs[..., r, c], atol=1e-6)


def reference_view(model, images):
    """SEAM's network forward written out as the official code does it
    (eval mode: no dropout): upsampled cam and cam_rv."""
    d = model.backbone(images)
    cam = model.head.classifier(d[2])
    n, c, h, w = cam.shape
    cam_d = F.relu(cam)
    cam_d_max = cam_d.view(n, c, -1).max(-1)[0].view(n, c, 1, 1) + 1e-5
    cam_d_norm = F.relu(cam_d - 1e-5) / cam_d_max
    cam_d_norm[:, 0] = 1 - cam_d_norm[:, 1:].max(1)[0]
    cam_max = cam_d_norm[:, 1:].max(1, keepdim=True)[0]
    cam_d_norm[:, 1:][cam_d_norm[:, 1:] < cam_max] = 0
    f8_3 = F.relu(model.pcm.f8_3(d[0]))
    f8_4 = F.relu(model.pcm.f8_4(d[1]))
    x_s = F.interpolate(images, (h, w), mode='bilinear', align_corners=True)
    f = model.pcm.f9(torch.cat([x_s, f8_3, f8_4], 1)).view(n, -1, h * w)
    f = f / (torch.norm(f, dim=1, keepdim=True) + 1e-5)
    aff = F.relu(torch.matmul(f.transpose(1, 2), f))
    aff = aff / (torch.sum(aff, dim=1, keepdim=True) + 1e-5)
    cam_rv = torch.matmul(cam_d_norm.view(n, -1, h * w), aff)
    size = images.shape[-2:]
    return (F.interpolate(cam, size, mode='bilinear', align_corners=True),
            F.interpolate(cam_rv.view(n, -1, h, w), size, mode='bilinear',
                          align_corners=True))


def reference_max_norm(p, e=1e-5):
    p = F.relu(p)
    n, c = p.shape[:2]
    max_v = p.view(n, c, -1).max(-1)[0].view(n, c, 1, 1)
    min_v = p.view(n, c, -1).min(-1)[0].view(n, c, 1, 1)
    return F.relu(p - min_v - e) / (max_v - min_v + e)


def reference_min_pool(x):
    n, c, h, w = x.shape
    k = h * w // 4
    x = torch.max(x, dim=1)[0]
    y = torch.topk(x.view(n, -1), k=k, dim=-1, largest=False)[0]
    return torch.sum(F.relu(y)) / (k * n)


def reference_max_onehot(x):
    x = x.clone()
    x_max = torch.max(x[:, 1:], dim=1, keepdim=True)[0]
    x[:, 1:][x[:, 1:] != x_max] = 0
    return x


def test_loss_equals_the_official_composition_in_float64():
    """SEAM's training step transcribed line by line: the model's
    terms must match it to rounding."""
    model = build_model().double().eval()
    torch.manual_seed(1)
    img1 = torch.randn(2, 3, 64, 64, dtype=torch.float64)
    targets = targets_of(LABELS, torch.float64)
    losses = model.loss(img1, make_samples(LABELS))
    assert all(v.dtype == torch.float64 for v in losses.values())

    label = with_background(targets)[:, :, None, None]
    img2 = F.interpolate(
        img1, scale_factor=0.3, mode='bilinear', align_corners=True)
    cam1, cam_rv1 = reference_view(model, img1)
    cam2, cam_rv2 = reference_view(model, img2)
    label1 = F.adaptive_avg_pool2d(cam1, (1, 1))
    label2 = F.adaptive_avg_pool2d(cam2, (1, 1))
    loss_rvmin1 = reference_min_pool((cam_rv1 * label)[:, 1:])
    loss_rvmin2 = reference_min_pool((cam_rv2 * label)[:, 1:])
    cam1 = F.interpolate(
        reference_max_norm(cam1), scale_factor=0.3, mode='bilinear',
        align_corners=True) * label
    cam_rv1 = F.interpolate(
        reference_max_norm(cam_rv1), scale_factor=0.3, mode='bilinear',
        align_corners=True) * label
    cam2 = reference_max_norm(cam2) * label
    cam_rv2 = reference_max_norm(cam_rv2) * label
    loss_cls1 = F.multilabel_soft_margin_loss(label1[:, 1:, 0, 0], targets)
    loss_cls2 = F.multilabel_soft_margin_loss(label2[:, 1:, 0, 0], targets)
    ns, cs, hs, ws = cam2.shape
    loss_er = torch.mean(torch.abs(cam1[:, 1:] - cam2[:, 1:]))
    cam1[:, 0] = 1 - torch.max(cam1[:, 1:], dim=1)[0]
    cam2[:, 0] = 1 - torch.max(cam2[:, 1:], dim=1)[0]
    tensor_ecr1 = torch.abs(reference_max_onehot(cam2) - cam_rv1)
    tensor_ecr2 = torch.abs(reference_max_onehot(cam1) - cam_rv2)
    k = int(cs * hs * ws * 0.2)
    loss_ecr = (torch.topk(tensor_ecr1.view(ns, -1), k=k)[0].mean() +
                torch.topk(tensor_ecr2.view(ns, -1), k=k)[0].mean())

    def close(key, value):
        assert losses[key].item() == pytest.approx(value.item(), rel=1e-9,
                                                   abs=1e-12), key

    close('loss_cls_view1', loss_cls1 / 2)
    close('loss_cls_view2', loss_cls2 / 2)
    close('loss_min_pool', (loss_rvmin1 + loss_rvmin2) / 2)
    close('loss_er', loss_er)
    close('loss_ecr', loss_ecr)
    assert loss_ecr.item() > 0 and loss_er.item() > 0


def test_weights_reproduce_the_isl_mix():
    """(1 - λ)·L_GAP,1 + λ·ISL averaged with view 2 = weights 0.4 / 0.5 and
    ISL 0.1."""
    model = build_model(
        view_cls_weights=(0.4, 0.5),
        losses=[dict(type='ImportanceSamplingLoss', loss_weight=0.1,
                     seed=0)]).eval()
    inputs = torch.randn(2, 3, 64, 64)
    targets = targets_of(LABELS)
    losses = model.loss(inputs, make_samples(LABELS))
    outputs = model.train_outputs(inputs, targets)
    gap1 = F.binary_cross_entropy_with_logits(outputs['logits'], targets)
    gap2 = F.binary_cross_entropy_with_logits(outputs['view2']['logits'],
                                              targets)
    assert losses['loss_cls_view1'].item() == pytest.approx(
        0.4 * gap1.item(), rel=1e-5)
    assert losses['loss_cls_view2'].item() == pytest.approx(
        0.5 * gap2.item(), rel=1e-5)
    assert 'loss_isl' in losses and losses['loss_isl'].item() > 0


@MODELS.register_module(name='_SEAMRecordingLoss', force=True)
class _SEAMRecordingLoss(torch.nn.Module):
    """A plug-in loss that records what the host passed to it."""

    def __init__(self, inputs=('cams', 'labels', 'rgb_images', 'logits'),
                 loss_name='loss_record'):
        super().__init__()
        self.inputs = tuple(inputs)
        self.loss_name = loss_name
        self.seen = {}

    def forward(self, **inputs):
        self.seen = inputs
        return inputs['cams'].mean() * 0 + 1.5


def test_plugin_losses_see_view1_foreground_cams():
    model = build_model(losses=[dict(type='_SEAMRecordingLoss')]).eval()
    images = torch.rand(2, 3, 64, 64) * 255
    mean = torch.tensor(PREPROCESSOR['mean']).view(3, 1, 1)
    std = torch.tensor(PREPROCESSOR['std']).view(3, 1, 1)
    inputs = (images - mean) / std
    losses = model.loss(inputs, make_samples(LABELS))
    assert losses['loss_record'].item() == 1.5
    seen = model.losses[0].seen
    # view 1 (8x8 for a 64x64 input, not view 2's 3x3), K = 6 foreground
    # channels: the raw head maps without the background channel
    assert seen['cams'].shape == (2, 6, 8, 8) and seen['cams'].requires_grad
    assert torch.allclose(seen['cams'], model.class_maps(inputs), atol=1e-6)
    raw = model.head.class_maps(model.extract_feat(inputs))
    assert torch.allclose(seen['cams'], raw[:, 1:], atol=1e-6)
    assert seen['logits'].shape == (2, 6)
    assert seen['labels'].tolist()[1] == [0, 0, 0, 0, 0, 1]
    assert torch.allclose(seen['rgb_images'], images / 255, atol=1e-5)
    # name clashes with SEAM's own terms are rejected
    with pytest.raises(ValueError, match="SEAM"):
        build_model(
            losses=[dict(type='_SEAMRecordingLoss', loss_name='loss_er')])


def test_isl_and_fsl_plug_in_and_backpropagate():
    model = build_model(
        view_cls_weights=(0.4, 0.5),
        losses=[
            dict(type='ImportanceSamplingLoss', loss_weight=0.1),
            dict(type='FeatureSimilarityLoss', loss_weight=1.0)
        ]).train()
    losses = model.loss(torch.randn(2, 3, 64, 64), make_samples(LABELS))
    assert {'loss_isl', 'loss_fsl'} <= set(losses)
    sum(losses.values()).backward()
    assert model.head.classifier.weight.grad.abs().sum() > 0


def grads(module):
    return [
        p.grad for p in module.parameters()
        if p.requires_grad and p.grad is not None and p.grad.abs().sum() > 0
    ]


def test_gradient_routing_follows_the_official_detaches():
    model = build_model().train()
    inputs = torch.randn(2, 3, 64, 64)
    for key, backbone, head, pcm in (('loss_ecr', False, False, True),
                                     ('loss_min_pool', False, False, True),
                                     ('loss_er', True, True, False),
                                     ('loss_cls_view2', True, True, False)):
        model.zero_grad(set_to_none=True)
        model.loss(inputs, make_samples(LABELS))[key].backward()
        assert bool(grads(model.backbone)) == backbone, key
        assert bool(grads(model.head)) == head, key
        assert bool(grads(model.pcm)) == pcm, key


def toy_batch(model, toy_voc, num=8):
    dataset = DATASETS.build(
        dict(
            type='VOCClsDataset',
            data_root=toy_voc,
            split='train',
            label_source='file',
            metainfo=dict(classes=TOY_CLASSES),
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='mmpretrain.PackInputs')
            ]))
    return model.data_preprocessor(
        pseudo_collate([dataset[i] for i in range(num)]), training=True)


def test_training_steps_lower_the_loss_on_toy_data(toy_voc):
    model = build_model(
        losses=[dict(type='FeatureSimilarityLoss')]).train()
    batch = toy_batch(model, toy_voc)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    totals, cls = [], []
    for _ in range(8):
        losses = model.loss(**batch)
        total = sum(v for k, v in losses.items() if k.startswith('loss'))
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        totals.append(total.item())
        cls.append(losses['loss_cls_view1'].item() +
                   losses['loss_cls_view2'].item())
    assert all(torch.isfinite(torch.tensor(totals)))
    assert totals[-1] < 0.8 * totals[0]
    assert cls[-1] < 0.8 * cls[0]


def test_predict_uses_min_max_normalised_cam_rv():
    model = build_model().eval()
    inputs = torch.randn(2, 3, 64, 64)
    out = model.predict(inputs, make_samples(LABELS))
    with torch.no_grad():
        total = (model.refined_class_maps(inputs) +
                 model.refined_class_maps(inputs.flip(-1)).flip(-1))
    expected = minmax_normalize(total)
    for i, (sample, labels) in enumerate(zip(out, LABELS)):
        assert sample.cam_labels.tolist() == labels
        assert sample.cams.shape == (len(labels), 64, 64)
        assert sample.cams.min() >= 0 and sample.cams.max() <= 1
        assert torch.allclose(sample.cams, expected[i, labels], atol=1e-5)
        # min-max: each class map reaches 0 (the values at the minimum)
        assert (sample.cams.flatten(1).min(1).values == 0).all()
        assert sample.pred_score.shape == (6, )
    # the plain CAM and the max normalisation are options
    plain = build_model(cam_source='cam').eval().predict(
        inputs, make_samples(LABELS))
    assert not torch.allclose(plain[0].cams, out[0].cams)
    maxed = build_model(cam_cfg=dict(scales=(1.0, ), normalize=True))
    maxed = maxed.eval().predict(inputs, make_samples(LABELS))
    assert torch.allclose(
        maxed[0].cams.flatten(1).max(1).values, torch.ones(2), atol=1e-3)


def test_predict_crops_to_img_shape_and_resizes_to_ori_shape():
    model = build_model().eval()
    inputs = torch.randn(1, 3, 64, 64)
    sample = make_samples([[1]])[0]
    sample.set_metainfo(dict(img_shape=(48, 40), ori_shape=(96, 80)))
    out = model.predict(inputs, [sample])
    assert out[0].cams.shape == (1, 96, 80)
    assert out[0].cams.min() >= 0 and out[0].cams.max() <= 1


def test_bad_arguments():
    for kwargs in (dict(head=dict(type='GAPHead', num_classes=1,
                                  in_channels=512)),
                   dict(scale_factor=0.0), dict(scale_factor=1.5),
                   dict(view_cls_weights=(0.5, 0.5, 0.5)),
                   dict(min_pool_ratio=0.0), dict(ecr_top_ratio=2.0),
                   dict(cam_source='other'),
                   dict(cam_cfg=dict(normalize='softmax'))):
        with pytest.raises(ValueError):
            build_model(**kwargs)


def test_voc_config_gives_new_layers_10x_lr():
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'isl_fsl',
                                   'seam_r38_voc.py'))
    model = build_model()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    lrs = {}
    names = {id(p): n for n, p in model.named_parameters()}
    for group in wrapper.optimizer.param_groups:
        for p in group['params']:
            lrs[names[id(p)].split('.')[0]] = group['lr']
    assert lrs == {'backbone': 0.01, 'head': 0.1, 'pcm': 0.1}
    assert wrapper.optimizer.defaults['momentum'] == 5e-4


def test_toy_config_trains_and_validates_with_the_runner(toy_voc, tmp_path):
    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmwsss.engine import without_pretrained
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'isl_fsl',
                 'seam_isl_fsl_r38tiny_pretrained_toy.py'))
    # the toy-pretrained trunk is a local file: start from random weights
    cfg.model = without_pretrained(cfg.model.to_dict())
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.max_iters = 2
    cfg.train_cfg.val_interval = 2
    cfg.default_hooks.logger.interval = 1
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = toy_voc
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    cfg.train_dataloader.batch_size = 2
    cfg.val_dataloader.batch_size = 4
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    scalars = runner.message_hub.log_scalars
    assert {'train/loss_isl', 'train/loss_fsl', 'train/loss_ecr'} <= set(
        scalars)
    assert any(k.startswith('val/') for k in scalars)
