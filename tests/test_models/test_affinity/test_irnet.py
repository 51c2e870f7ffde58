"""Tests for IRNet (IRN's network: ResNet-50 stages + IRN head + loss)."""
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapper
from mmengine.structures import BaseDataElement

from mmwsss.datasets.transforms import PackAffinityInputs
from mmwsss.ops import PathIndex, path_pair_labels
from mmwsss.registry import MODELS
from mmwsss.utils import InvalidInputError

MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]


def build(frozen=True, radius=3, **kwargs):
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='IRNet',
        data_preprocessor=dict(
            type='ImgDataPreprocessor', mean=MEAN, std=STD, bgr_to_rgb=True),
        backbone=dict(type='ResNet50Stages', base_channels=8, frozen=frozen),
        head=dict(type='IRNHead', in_channels=(8, 32, 64, 128, 256),
                  edge_channels=8, edge_groups=2, dp_channels=(8, 16, 16),
                  dp_groups=(2, 4, 4)),
        loss=dict(type='AffinityDisplacementLoss', radius=radius,
                  crop_size=None),
        **kwargs))


def pair_sample(grid, radius, seed):
    """A data sample with pair labels of a random 3-class label map."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 3, grid).astype(np.uint8)
    label[0, :2] = 255
    bg, fg, neg = path_pair_labels(label, PathIndex(radius, grid), 3)
    sample = BaseDataElement()
    for name, value in (('bg_pos', bg), ('fg_pos', fg), ('neg', neg)):
        sample.set_field(torch.from_numpy(value), name)
    return sample


def test_loss_mode_total_only_and_frozen_backbone():
    model = build()
    model.train()
    inputs = torch.randn(2, 3, 32, 32)
    samples = [pair_sample((8, 8), 3, s) for s in (0, 1)]
    losses = model(inputs, samples, mode='loss')
    assert torch.isfinite(losses['loss'])
    assert all('loss' not in k for k in losses if k != 'loss')
    assert all(not v.requires_grad for k, v in losses.items() if k != 'loss')
    # the same terms as the loss module on the network outputs
    edge, dp = model(inputs, mode='tensor')
    ref = model.loss_fn(edge, dp, *[
        torch.stack([s.get(f) for s in samples])
        for f in ('bg_pos', 'fg_pos', 'neg')])
    torch.testing.assert_close(losses['loss'], ref['loss'])
    torch.testing.assert_close(losses['aff_neg'], ref['aff_neg'])
    # mmengine's parse_losses optimises exactly the total
    total, log_vars = model.parse_losses(losses)
    torch.testing.assert_close(total, ref['loss'])
    assert float(log_vars['loss'].detach()) == pytest.approx(
        ref['loss'].item(), rel=1e-6)
    assert [k for k in log_vars if 'loss' in k] == ['loss']
    total.backward()
    assert all(p.grad is None for p in model.backbone.parameters())
    assert model.head.fc_edge6.weight.grad.abs().sum() > 0
    assert model.head.fc_dp7[3].weight.grad.abs().sum() > 0


def test_train_step_from_packed_samples():
    """Pipeline output (float32 BGR image + pair labels) -> train_step: only
    the head changes; the frozen BN statistics stay."""
    model = build()
    pack = PackAffinityInputs()
    rng = np.random.default_rng(0)
    data = pseudo_collate([
        pack(dict(img=rng.uniform(0, 255, (32, 32, 3)).astype(np.float32),
                  img_path='x.jpg', img_id=f'x{i}',
                  **dict(zip(('bg_pos', 'fg_pos', 'neg'),
                             path_pair_labels(
                                 rng.integers(0, 3, (8, 8)).astype(np.uint8),
                                 PathIndex(3, (8, 8)), 3)))))
        for i in range(2)
    ])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    model.train()
    log_vars = model.train_step(data, wrapper)
    assert np.isfinite(float(log_vars['loss'].detach()))
    after = model.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all(k.startswith('head.') for k in changed)
    assert 'head.fc_edge6.bias' in changed and 'head.fc_dp1.0.weight' in \
        changed


def test_unfrozen_backbone_trains():
    model = build(frozen=False)
    model.train()
    losses = model(torch.randn(2, 3, 32, 32),
                   [pair_sample((8, 8), 3, s) for s in (0, 1)], mode='loss')
    losses['loss'].backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


def test_missing_pair_labels_and_predict():
    model = build()
    with pytest.raises(InvalidInputError, match='PathPairLabels'):
        model(torch.randn(1, 3, 32, 32), [BaseDataElement()], mode='loss')
    with pytest.raises(RuntimeError, match='edge_map'):
        model(torch.randn(1, 3, 32, 32), mode='predict')


def reference_edge(model, image, pad_to):
    """sigmoid(L0/2 + flip(L1)/2) computed step by step."""
    x = (torch.from_numpy(image.astype(np.float32)).permute(2, 0, 1) -
         torch.tensor(MEAN).view(3, 1, 1)) / torch.tensor(STD).view(3, 1, 1)
    height, width = image.shape[:2]
    batch = torch.stack([x, x.flip(-1)])
    padded = torch.zeros(2, 3, pad_to, pad_to)
    padded[..., :height, :width] = batch
    model.eval()
    with torch.no_grad():
        logits = model(padded, mode='tensor')[0]
    h4, w4 = (height - 1) // 4 + 1, (width - 1) // 4 + 1
    l0, l1 = logits[0, 0, :h4, :w4], logits[1, 0, :h4, :w4]
    return torch.sigmoid(l0 / 2 + l1.flip(-1) / 2), logits


def test_edge_map_padding_and_flip():
    model = build()
    model.train()
    image = np.random.default_rng(0).integers(0, 256, (37, 50, 3),
                                               dtype=np.uint8)
    out = model.edge_map(image, pad_to=64)
    assert model.training  # mode restored
    assert out['edge'].shape == (10, 13) and out['edge'].dtype == torch.float32
    assert out['logits'].shape == (2, 1, 16, 16)
    edge, logits = reference_edge(model, image, 64)
    torch.testing.assert_close(out['edge'], edge)
    torch.testing.assert_close(out['logits'], logits)
    # no flip: the image pass only; no padding: output is already (h4, w4)
    single = model.edge_map(image, pad_to=64, flip=False)
    assert single['logits'].shape == (1, 1, 16, 16)
    torch.testing.assert_close(
        single['edge'], torch.sigmoid(logits[0, 0, :10, :13]))
    assert model.edge_map(image, pad_to=None)['logits'].shape == (2, 1, 10,
                                                                  13)


def test_edge_map_symmetric_image_gives_symmetric_map():
    model = build(pad_to=None)
    half = np.random.default_rng(1).integers(0, 256, (30, 13, 3),
                                              dtype=np.uint8)
    image = np.concatenate([half, half[:, ::-1]], axis=1)  # 30 x 26
    out = model.edge_map(image)
    # identical passes (the image is its own mirror), then a symmetric
    # average
    torch.testing.assert_close(out['logits'][0], out['logits'][1])
    torch.testing.assert_close(out['edge'], out['edge'].flip(-1))
    assert out['edge'].shape == (8, 7)


def test_edge_map_too_large_for_pad_to():
    model = build()
    image = np.zeros((70, 40, 3), np.uint8)
    with pytest.raises(InvalidInputError, match='pad_to=None'):
        model.edge_map(image, pad_to=64)
    with pytest.raises(InvalidInputError, match='RGB'):
        model.edge_map(np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError, match='pad_to'):
        build(pad_to=0)


def test_terms_named_without_loss():
    from mmwsss.models.affinity.irnet import _term_name
    assert _term_name('loss_bg_pos') == 'bg_pos'
    assert _term_name('dp_fg') == 'dp_fg'
    assert _term_name('aux_loss') == 'aux'
    assert 'loss' not in _term_name('myloss')


def test_normalisation_matches_preprocessor():
    """edge_map of an RGB image sees what training sees for the same image
    loaded as BGR and run through the data preprocessor."""
    model = build()
    rgb = np.random.default_rng(2).integers(0, 256, (16, 20, 3),
                                             dtype=np.uint8)
    data = model.data_preprocessor(
        dict(inputs=[torch.from_numpy(rgb[..., ::-1].copy()).permute(2, 0, 1)],
             data_samples=None), False)
    torch.testing.assert_close(model._normalize(rgb), data['inputs'])
