import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmpretrain.structures import DataSample

from helpers import build_module, cls_preprocessor, tiny_resnet38d
from mmwsss.registry import DATASETS, MODELS

PREPROCESSOR = cls_preprocessor()


def build_model(backbone=None, in_channels=None, **kwargs):
    if backbone is None:
        backbone = tiny_resnet38d()
        in_channels = 512
    cfg = dict(
        type='CAMClassifier',
        data_preprocessor=PREPROCESSOR,
        backbone=backbone,
        head=dict(type='GAPHead', num_classes=6, in_channels=in_channels),
        cam_cfg=dict(scales=(1.0, 0.5), flip=True))
    cfg.update(kwargs)
    return build_module(cfg, init_weights=False)


def make_samples(labels, shape=(32, 32)):
    samples = []
    for label in labels:
        sample = DataSample(metainfo=dict(img_shape=shape, ori_shape=shape))
        sample.set_gt_label(label)
        sample.set_gt_score(torch.zeros(6).index_fill_(0,
                                                       torch.tensor(label), 1))
        samples.append(sample)
    return samples


def test_modes_shapes_and_labels():
    torch.manual_seed(0)
    model = build_model().eval()
    inputs = torch.randn(2, 3, 32, 32)
    logits = model(inputs, mode='tensor')
    assert logits.shape == (2, 6)
    losses = model(inputs, make_samples([[0, 2], [5]]), mode='loss')
    assert set(losses) == {'loss_cls'} and torch.isfinite(losses['loss_cls'])
    out = model(inputs, make_samples([[0, 2], [5]]), mode='predict')
    assert out[0].cam_labels.tolist() == [0, 2]
    assert out[1].cam_labels.tolist() == [5]
    assert out[0].cams.shape == (2, 32, 32)
    assert out[1].cams.shape == (1, 32, 32)
    for sample in out:
        assert sample.cams.min() >= 0 and sample.cams.max() <= 1
        assert torch.allclose(sample.pred_score, logits.sigmoid()[0]
                              if sample is out[0] else logits.sigmoid()[1],
                              atol=1e-5)
    with pytest.raises(RuntimeError, match='Invalid mode'):
        model(inputs, mode='bogus')


def test_predict_crops_padding_and_resizes_to_ori_shape():
    torch.manual_seed(0)
    model = build_model().eval()
    inputs = torch.randn(2, 3, 32, 40)
    samples = make_samples([[1], [3]])
    samples[0].set_metainfo(dict(img_shape=(32, 40), ori_shape=(64, 80)))
    samples[1].set_metainfo(dict(img_shape=(24, 30), ori_shape=(24, 30)))
    out = model.predict(inputs, samples)
    assert out[0].cams.shape == (1, 64, 80)
    assert out[1].cams.shape == (1, 24, 30)
    alone = model.predict(inputs[1:, :, :24, :30], make_samples([[3]],
                                                                (24, 30)))
    assert torch.allclose(out[1].cams, alone[0].cams, atol=1e-5)


def test_predicted_labels_without_gt():
    model = build_model(
        cam_cfg=dict(scales=(1.0, ), flip=False, label_source='pred',
                     score_thr=0.0)).eval()
    out = model.predict(torch.randn(1, 3, 16, 16))
    assert out[0].cam_labels.tolist() == list(range(6))
    assert out[0].cams.shape == (6, 16, 16)


def test_bad_cam_cfg_and_missing_labels():
    with pytest.raises(ValueError, match='cam_cfg'):
        build_model(cam_cfg=dict(scale=(1.0, )))
    with pytest.raises(ValueError, match='label_source'):
        build_model(cam_cfg=dict(label_source='oracle'))
    model = build_model()
    with pytest.raises(ValueError, match='to_onehot'):
        model.loss(torch.randn(1, 3, 16, 16), [DataSample()])


@pytest.mark.parametrize('backbone,in_channels', [
    (dict(type='ResNetV1c', depth=18, strides=(1, 2, 1, 1),
          dilations=(1, 1, 2, 4), out_indices=(3, )), 512),
    (dict(type='mmpretrain.ResNet', depth=18, strides=(1, 2, 1, 1),
          dilations=(1, 1, 2, 4), out_indices=(3, )), 512),
])
def test_upstream_resnets_as_cam_backbones(backbone, in_channels):
    model = build_model(backbone=backbone, in_channels=in_channels).eval()
    out = model.predict(torch.randn(1, 3, 32, 32), make_samples([[4]]))
    assert out[0].cams.shape == (1, 32, 32)
    assert model.class_maps(torch.randn(1, 3, 32, 32)).shape == (1, 6, 4, 4)


def test_training_steps_lower_the_loss_on_toy_data(toy_voc):
    torch.manual_seed(0)
    dataset = DATASETS.build(
        dict(
            type='VOCClsDataset',
            data_root=str(toy_voc),
            ann_file='ImageSets/Segmentation/train.txt',
            label_source='seg',
            metainfo=dict(classes=('disc', 'square', 'triangle', 'cross',
                                   'ring', 'star')),
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='mmpretrain.PackInputs')
            ]))
    model = build_model()
    model.train()
    batch = model.data_preprocessor(
        pseudo_collate([dataset[i] for i in range(8)]), training=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(8):
        loss = model.loss(**batch)['loss_cls']
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]


@MODELS.register_module(name='_RecordingLoss', force=True)
class _RecordingLoss(torch.nn.Module):
    """A plug-in loss that records what the host passed to it."""

    def __init__(self, inputs=('cams', 'labels', 'rgb_images'),
                 loss_name='loss_record'):
        super().__init__()
        self.inputs = tuple(inputs)
        self.loss_name = loss_name
        self.seen = {}

    def forward(self, **inputs):
        self.seen = inputs
        return inputs['cams'].mean() * 0 + 1.5


def test_plugin_losses_get_the_outputs_they_name():
    model = build_model(losses=[dict(type='_RecordingLoss')]).train()
    images = torch.rand(2, 3, 32, 32) * 255
    mean = torch.tensor(PREPROCESSOR['mean']).view(3, 1, 1)
    std = torch.tensor(PREPROCESSOR['std']).view(3, 1, 1)
    inputs = (images - mean) / std
    losses = model.loss(inputs, make_samples([[0, 2], [5]]))
    assert set(losses) == {'loss_cls', 'loss_record'}
    assert losses['loss_record'].item() == 1.5
    seen = model.losses[0].seen
    assert set(seen) == {'cams', 'labels', 'rgb_images'}
    assert seen['cams'].shape == (2, 6, 4, 4) and seen['cams'].requires_grad
    assert seen['labels'].tolist()[1] == [0, 0, 0, 0, 0, 1]
    assert torch.allclose(seen['rgb_images'], images / 255, atol=1e-5)
    assert not seen['rgb_images'].requires_grad


def test_plugin_loss_errors():
    model = build_model(
        losses=[dict(type='_RecordingLoss', inputs=('cams', 'gpp_map'))])
    with pytest.raises(ValueError, match="needs the training outputs"):
        model.loss(torch.randn(1, 3, 32, 32), make_samples([[1]]))
    with pytest.raises(ValueError, match='unique'):
        build_model(losses=[dict(type='_RecordingLoss'),
                            dict(type='_RecordingLoss')])
    with pytest.raises(ValueError, match='unique'):
        build_model(losses=[dict(type='_RecordingLoss', loss_name='loss_cls')])
