"""End to end: BANA's toy stage-3 config, real pipeline, one train step."""
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapper

from helpers import ROOT
from mmwsss import fileio
from mmwsss.registry import DATASETS, MODELS

CONFIG = osp.join(ROOT, 'configs', 'bana', 'bana_deeplabv2_r18_toy.py')


def write_pair(toy_voc, out_dir):
    """Y_crf = the toy ground truth; Y_ret differs on the left quarter."""
    pseudo = osp.join(out_dir, 'pseudo')
    for img_id in fileio.read_split(
            osp.join(toy_voc, 'ImageSets/Segmentation/train.txt')):
        crf = fileio.read_label_png(
            osp.join(toy_voc, 'SegmentationClass', f'{img_id}.png'), 6)
        ret = crf.copy()
        ret[:, :16] = np.where(crf[:, :16] == 255, 255, (crf[:, :16] + 1) % 7)
        fileio.save_label_png(osp.join(pseudo, f'{img_id}.png'), crf)
        fileio.save_label_png(
            osp.join(out_dir, 'pseudo_ret', f'{img_id}.png'), ret)
    return pseudo


def test_toy_config_train_step(toy_voc, tmp_path):
    cfg = Config.fromfile(CONFIG)
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.data_root = toy_voc
    ds_cfg.data_prefix.seg_map_path = write_pair(toy_voc, str(tmp_path))
    # crops smaller than the preprocessor's 64x64: exercises the padding
    assert ds_cfg.pipeline[2].type == 'RandomCrop'
    ds_cfg.pipeline[2].crop_size = (48, 48)
    dataset = DATASETS.build(ds_cfg)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    batch = pseudo_collate([dataset[i] for i in range(4)])

    data = model.data_preprocessor(batch, training=True)
    gt = torch.stack([s.gt_sem_seg.data for s in data['data_samples']])
    assert data['inputs'].shape == (4, 3, 64, 64) and gt.shape[-2:] == (64,
                                                                        64)
    assert (gt[..., 48:, :] == 255).all() and (gt[..., :, 48:] == 255).all()
    reliable = model.decode_head._stack_reliable(data['data_samples'],
                                                 (64, 64))
    assert not reliable[:, 48:].any() and not reliable[:, :, 48:].any()
    assert reliable[:, :48, :48].any() and not reliable.all()

    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    before = model.decode_head.conv_seg.weight.detach().clone()
    log_vars = {
        k: float(torch.as_tensor(v).detach())
        for k, v in model.train_step(batch, optim).items()
    }
    assert {'loss', 'decode.loss_nal', 'decode.nal_ce', 'decode.nal_wce',
            'decode.nal_sigma', 'decode.acc_seg'} <= set(log_vars)
    assert all(np.isfinite(v) for v in log_vars.values())
    # only loss_* keys are summed
    assert log_vars['loss'] == log_vars['decode.loss_nal']
    assert 0 < log_vars['decode.nal_unreliable'] < 1
    assert not torch.equal(before, model.decode_head.conv_seg.weight)
