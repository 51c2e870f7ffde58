"""BANAClassifier (BANA stage 1) on the toy VOC."""
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmpretrain.structures import DataSample

from helpers import build_module, cls_preprocessor
from mmwsss.datasets.toy_voc import TOY_CLASSES
from mmwsss.registry import DATASETS

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadBoxBackgroundMask'),
    dict(type='BoxRandomRescale', ratio_range=(0.75, 1.25)),
    dict(type='BoxPadRandomCrop', crop_size=48),
    dict(type='BoxRandomFlip', prob=0.5),
    dict(type='PackBoxInputs'),
]


def build_model(**kwargs):
    cfg = dict(
        type='BANAClassifier',
        # BANA's Caffe mean in BGR; a std keeps the tiny from-scratch VGG
        # stable in a few SGD steps
        data_preprocessor=cls_preprocessor(
            mean=[104.008, 116.669, 122.675],
            std=[58.0, 58.0, 58.0],
            to_rgb=False),
        bgr_inputs=True,
        backbone=dict(
            type='VGG16LargeFOV',
            fc6_dilation=1,
            fc_channels=32,
            dropout_ratio=0.0,
            stage_channels=(8, 8, 16, 16, 16)),
        head=dict(type='BAPHead', num_classes=6, in_channels=32),
        cam_cfg=dict(scales=(1.0, ), flip=False))
    cfg.update(kwargs)
    return build_module(cfg)


@pytest.fixture(scope='module')
def toy_batch(toy_voc):
    dataset = DATASETS.build(
        dict(
            type='VOCBoxDataset',
            data_root=toy_voc,
            split='train',
            metainfo=dict(classes=TOY_CLASSES),
            pipeline=PIPELINE))
    torch.manual_seed(0)
    np.random.seed(0)
    return pseudo_collate([dataset[i] for i in range(4)])


def test_loss_on_toy_data_and_a_few_steps_lower_it(toy_batch):
    torch.manual_seed(0)
    model = build_model()
    data = model.data_preprocessor(toy_batch, training=True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_bap'}
    assert torch.isfinite(losses['loss_bap'])
    # (L + 1)-way CE at N(0, 0.01) init: about log 7
    assert abs(losses['loss_bap'].item() - torch.log(torch.tensor(7.))) < 0.3
    optim = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = []
    for _ in range(10):
        optim.zero_grad()
        loss = model(**data, mode='loss')['loss_bap']
        history.append(loss.item())
        loss.backward()
        optim.step()
    assert all(b < a for a, b in zip(history, history[1:])), history
    assert history[-1] < history[0] - 0.3, history


def test_train_outputs_and_plugin_losses(toy_batch):
    torch.manual_seed(0)
    model = build_model(
        losses=[dict(type='ImportanceSamplingLoss', seed=0)])
    data = model.data_preprocessor(toy_batch, training=True)
    inputs, samples = data['inputs'], data['data_samples']
    boxes, labels, masks = model.box_targets(inputs, samples)
    assert masks.shape == (4, 48, 48)
    targets = model.image_targets(samples, labels)
    assert targets.shape == (4, 6)
    for target, label in zip(targets, labels):
        assert target.nonzero().flatten().tolist() == sorted(
            set(label.tolist()))
    outputs = model.train_outputs(inputs, targets, boxes, labels, masks)
    for key in ('cams', 'logits', 'labels', 'images', 'rgb_images',
                'box_feats', 'bg_queries', 'attention', 'sample_logits'):
        assert key in outputs
    assert outputs['cams'].shape == (4, 6, 6, 6)
    rgb = outputs['rgb_images']
    assert rgb.shape == (4, 3, 48, 48) and 0 <= rgb.min() <= rgb.max() <= 1
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_bap', 'loss_isl'}
    sum(losses.values()).backward()


def test_predict_and_tensor_modes(toy_batch):
    model = build_model().eval()
    data = model.data_preprocessor(toy_batch, training=False)
    logits = model(data['inputs'], mode='tensor')
    assert logits.shape == (4, 6)
    out = model(**data, mode='predict')
    for sample in out:
        assert sample.cams.shape[0] == len(sample.cam_labels)
        assert sample.cams.shape[-2:] == sample.ori_shape
        assert sample.cams.min() >= 0 and sample.cams.max() <= 1


def test_missing_boxes_and_padded_masks():
    model = build_model()
    inputs = torch.randn(2, 3, 32, 32)
    with pytest.raises(KeyError, match='PackBoxInputs'):
        model(inputs, [DataSample(), DataSample()], mode='loss')
    samples = []
    for size in ((32, 32), (24, 28)):
        sample = DataSample()
        sample.set_field(torch.tensor([[2., 2., 12., 14.]]), 'gt_bboxes')
        sample.set_field(torch.tensor([1]), 'gt_bboxes_labels')
        sample.set_field(torch.ones(size, dtype=torch.uint8), 'bg_mask')
        samples.append(sample)
    boxes, labels, masks = model.box_targets(inputs, samples)
    assert masks.shape == (2, 32, 32)
    assert masks[1, 24:].sum() == 0 and masks[1, :, 28:].sum() == 0
    # no gt_score: image labels from the boxes
    assert model.image_targets(samples, labels)[:, 1].tolist() == [1, 1]
    losses = model(inputs, samples, mode='loss')
    assert torch.isfinite(losses['loss_bap'])


def test_predict_box_classes_and_box_accuracy(toy_batch):
    from mmwsss.evaluation import BoxAccuracy
    model = build_model().eval()
    data = model.data_preprocessor(toy_batch, training=False)
    out = model(**data, mode='predict')
    boxes, labels, masks = model.box_targets(data['inputs'], out)
    outputs = model.head.forward_train(
        model.extract_feat(data['inputs']), boxes, labels, masks)
    # per box: argmax of the bins' mean logits (a linear classifier, so
    # the logits of the mean feature)
    bins = outputs['box_feats'] @ model.head.weight.t()
    expected = bins.mean(dim=1).argmax(dim=1)
    got = torch.cat([sample.pred_box_classes for sample in out])
    torch.testing.assert_close(got, expected)
    metric = BoxAccuracy()
    metric.process(None, [s.to_dict() for s in out])
    result = metric.evaluate(len(out))
    gt = torch.cat([s.gt_bboxes_labels for s in out]) + 1
    assert result['box/num_boxes'] == gt.numel()
    assert result['box/accuracy'] == pytest.approx(
        100 * (got == gt).float().mean().item(), abs=0.01)
    # without boxes (an image-only test pipeline) there is nothing to add
    plain = [DataSample() for _ in range(4)]
    assert 'pred_box_classes' not in model(
        data['inputs'], plain, mode='predict')[0]


def test_box_accuracy_hand_made():
    from mmwsss.evaluation import BoxAccuracy
    metric = BoxAccuracy()
    metric.process(None, [
        dict(pred_box_classes=torch.tensor([1, 0, 3]),
             gt_bboxes_labels=torch.tensor([0, 0, 2])),
        dict(pred_box_classes=torch.tensor([2]),
             gt_bboxes_labels=torch.tensor([0])),
    ])
    result = metric.evaluate(2)
    # class 1: 1 of 3 right; class 3: 1 of 1 -> accuracy 2/4, mean 2/3
    assert result == {'box/accuracy': 50.0,
                      'box/mean_class_accuracy': pytest.approx(66.67),
                      'box/background_rate': 25.0, 'box/num_boxes': 4}
    with pytest.raises(KeyError, match='pred_box_classes'):
        BoxAccuracy().process(None, [dict(gt_bboxes_labels=[0])])
