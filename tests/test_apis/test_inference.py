import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from helpers import ROOT
from mmwsss.apis import inference_cams, init_model
from mmwsss.datasets import TOY_CLASSES
from mmwsss.registry import MODELS
from mmwsss.stages import build_inference_dataset, infer_cams
from mmwsss.utils import InvalidInputError, MissingInputError

TOY_CFG = osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toy.py')
SEG_CFG = osp.join(ROOT, 'configs', 'deeplab', 'deeplabv2_r18_toy_pseudo.py')
MEAN = np.array([123.675, 116.28, 103.53])
STD = np.array([58.395, 57.12, 57.375])


@pytest.fixture(scope='module')
def toy_ckpt(toy_voc, tmp_path_factory):
    """(options, checkpoint) of a randomly initialised toy CAM model."""
    options = {'test_dataloader.dataset.data_root': toy_voc}
    cfg = Config.fromfile(TOY_CFG)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    ckpt = str(tmp_path_factory.mktemp('ckpt') / 'random.pth')
    torch.save({'state_dict': model.state_dict()}, ckpt)
    return options, ckpt


def val_info(toy_voc, index=0):
    cfg = Config.fromfile(TOY_CFG)
    cfg.merge_from_dict({'test_dataloader.dataset.data_root': toy_voc})
    return build_inference_dataset(cfg, 'val').get_data_info(index)


def test_init_model(toy_ckpt, tmp_path):
    options, ckpt = toy_ckpt
    model = init_model(TOY_CFG, ckpt, cfg_options=options)
    assert not model.training and isinstance(model.cfg, Config)
    assert model.cfg.test_dataloader.dataset.data_root == \
        options['test_dataloader.dataset.data_root']
    assert model.dataset_meta['classes'] == list(TOY_CLASSES)
    state = torch.load(ckpt, map_location='cpu')['state_dict']
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, state[name], rtol=0, atol=0)
    # no checkpoint: the freshly built model, as mmseg's init_model
    assert init_model(TOY_CFG).dataset_meta['classes'] == list(TOY_CLASSES)
    # class names that do not fit the head: numbered
    three = init_model(TOY_CFG, cfg_options={'model.head.num_classes': 3})
    assert three.dataset_meta['classes'] == ['class_0', 'class_1', 'class_2']
    with pytest.raises(MissingInputError, match='none.pth.*tools/train.py'):
        init_model(TOY_CFG, str(tmp_path / 'none.pth'))
    with pytest.raises(MissingInputError, match='nothing.py'):
        init_model(str(tmp_path / 'nothing.py'))


def test_cams_match_stage2_and_a_dense_reference(toy_voc, toy_ckpt,
                                                 tmp_path):
    options, ckpt = toy_ckpt
    info = val_info(toy_voc)
    model = init_model(TOY_CFG, ckpt, cfg_options=options)
    gt_keys = list(info['gt_label'])
    out = inference_cams(model, info['img_path'], labels=gt_keys)
    assert out['keys'].tolist() == sorted(gt_keys)
    assert out['names'] == [TOY_CLASSES[k] for k in sorted(gt_keys)]
    assert out['cams'].dtype == np.float32 and out['cams'].shape == (
        len(gt_keys), 64, 64)
    assert out['scores'].shape == (6, ) and out['scores'].dtype == np.float32
    # stage 2 (infer_cams, float16 files) gives the same CAMs
    infer_cams(TOY_CFG, ckpt, str(tmp_path / 'cams'), split='val',
               dataset=dict(data_root=toy_voc), progress=False)
    with np.load(tmp_path / 'cams' / f'{info["img_id"]}.npz') as saved:
        assert saved['keys'].tolist() == out['keys'].tolist()
        np.testing.assert_allclose(out['cams'], saved['cams'], atol=1e-3)

    # dense reference: one scale, no flip -> relu(up(M)) / (max + 1e-5);
    # scores = sigmoid(mean of the raw class map)
    model = init_model(
        TOY_CFG, ckpt, cfg_options=dict(options, **{'model.cam_cfg.flip':
                                                    False}))
    names = ['triangle', 'disc']
    out = inference_cams(model, info['img_path'], labels=names)
    rgb = mmcv.imread(info['img_path'])[..., ::-1].astype(np.float64)
    x = torch.from_numpy((rgb - MEAN) / STD).permute(2, 0, 1)[None].float()
    with torch.no_grad():
        maps = model.class_maps(x)
        up = F.interpolate(maps, size=(64, 64), mode='bilinear',
                           align_corners=False).relu()[0].double()
        probs = maps.mean(dim=(2, 3)).sigmoid()[0]
    ref = up / (up.amax(dim=(1, 2), keepdim=True) + 1e-5)
    assert out['keys'].tolist() == [0, 2]  # sorted class indices
    np.testing.assert_allclose(out['cams'], ref[[0, 2]].numpy(), atol=1e-5)
    np.testing.assert_allclose(out['scores'], probs.numpy(), atol=1e-6)
    # a BGR array (mmcv.imread) gives the same result as the path
    same = inference_cams(model, mmcv.imread(info['img_path']), names)
    np.testing.assert_array_equal(same['cams'], out['cams'])
    np.testing.assert_array_equal(same['scores'], out['scores'])


def test_predicted_labels(toy_voc, toy_ckpt, monkeypatch):
    options, ckpt = toy_ckpt
    model = init_model(TOY_CFG, ckpt, cfg_options=options)
    path = val_info(toy_voc)['img_path']
    logits = torch.tensor([[2.0, -1.0, 3.0, -2.0, -3.0, 0.1]])
    monkeypatch.setattr(model.head, 'forward', lambda feats: logits)
    out = inference_cams(model, path)
    # sigmoid >= 0.5: classes 0, 2, 5
    assert out['keys'].tolist() == [0, 2, 5]
    np.testing.assert_allclose(out['scores'], logits[0].sigmoid().numpy())
    every = inference_cams(model, path, labels=list(range(6)))
    np.testing.assert_array_equal(out['cams'], every['cams'][[0, 2, 5]])
    # nothing above 0.5: the most probable class alone
    low = torch.tensor([[-2.0, -1.0, -3.0, -0.5, -3.0, -4.0]])
    monkeypatch.setattr(model.head, 'forward', lambda feats: low)
    out = inference_cams(model, path)
    assert out['keys'].tolist() == [3] and out['cams'].shape[0] == 1
    assert out['names'] == ['cross']


def test_bad_inputs(toy_voc, toy_ckpt, tmp_path):
    options, ckpt = toy_ckpt
    model = init_model(TOY_CFG, ckpt, cfg_options=options)
    path = val_info(toy_voc)['img_path']
    with pytest.raises(InvalidInputError, match='dog.*disc, square'):
        inference_cams(model, path, labels=['dog'])
    with pytest.raises(InvalidInputError, match='outside 0..5'):
        inference_cams(model, path, labels=[6])
    with pytest.raises(MissingInputError, match='no.jpg'):
        inference_cams(model, str(tmp_path / 'no.jpg'))
    with pytest.raises(InvalidInputError, match='BGR'):
        inference_cams(model, np.zeros((4, 4), np.uint8))
    seg = init_model(SEG_CFG)
    with pytest.raises(InvalidInputError, match='mmseg.apis'):
        inference_cams(seg, path)
