"""Exact resume with DataLoader workers: a run stopped after a checkpoint
and resumed ends with the parameters of one that was never stopped, with
random flips drawn in 2 worker processes (per-sample seeds)."""
import os.path as osp
import shutil

from mmengine.config import Config
from mmengine.runner import load_checkpoint

from helpers import ROOT
from mmwsss.engine import build_runner
from mmwsss.registry import MODELS

TOY_CFG = osp.join(ROOT, 'configs', 'baseline', 'gap_r38tiny_toy.py')


def run_cfg(root, work_dir, num_workers, **extra):
    """4 iterations of 4 images, flips on, a checkpoint every 2, a
    validation at iteration 2 (after the checkpoint the resume starts
    from), dropout in the backbone (main-process draws)."""
    cfg = Config.fromfile(TOY_CFG)
    cfg.merge_from_dict({
        'model.backbone.dropout': (0.3, 0.5),
        'train_dataloader.dataset.data_root': root,
        'train_dataloader.batch_size': 4,
        'val_dataloader.dataset.data_root': root,
        'val_dataloader.batch_size': 8,
        'train_cfg.max_iters': 4,
        'train_cfg.val_interval': 2,
        'default_hooks.checkpoint.interval': 2,
        'default_hooks.checkpoint.max_keep_ckpts': 3,
        'train_dataloader.num_workers': num_workers,
        'train_dataloader.persistent_workers': False,
        'val_dataloader.num_workers': 0,
        'val_dataloader.persistent_workers': False,
        **extra,
    })
    for key in ('test_dataloader', 'test_evaluator', 'test_cfg', 'stages'):
        cfg.pop(key, None)
    cfg.work_dir = str(work_dir)
    return cfg


def train(cfg):
    runner = build_runner(cfg)
    runner.train()
    # stop the workers now: left to the garbage collector, each one would
    # take PyTorch's 5 s shutdown timeout in the next run
    runner.train_loop.dataloader_iterator._iterator = None


def params(cfg, path):
    model = MODELS.build(cfg.model)
    load_checkpoint(model, str(path), map_location='cpu')
    return model.state_dict()


def max_diff(a, b):
    assert a.keys() == b.keys()
    return max((a[k].double() - b[k].double()).abs().max().item() for k in a)


def whole_and_resumed(root, tmp_path, tag, num_workers, **extra):
    whole = tmp_path / f'whole_{tag}'
    train(run_cfg(root, whole, num_workers, **extra))
    resumed = tmp_path / f'resumed_{tag}'
    resumed.mkdir()
    # "killed" right after the checkpoint of iteration 2
    shutil.copy(whole / 'iter_2.pth', resumed / 'iter_2.pth')
    (resumed / 'last_checkpoint').write_text(str(resumed / 'iter_2.pth'))
    cfg = run_cfg(root, resumed, num_workers, **extra)
    cfg.resume = True
    train(cfg)
    return (params(cfg, whole / 'iter_4.pth'),
            params(cfg, resumed / 'iter_4.pth'))


def test_resume_with_two_workers_equals_uninterrupted(toy_voc, tmp_path):
    whole, resumed = whole_and_resumed(toy_voc, tmp_path, 'seeded', 2)
    assert max_diff(whole, resumed) == 0.0
    # the per-sample seeds make the draws independent of the worker count
    main, _ = whole_and_resumed(toy_voc, tmp_path, 'main', 0)
    assert max_diff(whole, main) == 0.0


def test_mmengine_worker_streams_differ_after_a_resume(toy_voc, tmp_path):
    """The control: with mmengine's per-worker streams
    (``seed_each_sample=False``; no dropout, so only the workers draw) the
    resumed workers draw other flips."""
    whole, resumed = whole_and_resumed(
        toy_voc, tmp_path, 'plain', 2, seed_each_sample=False,
        **{'model.backbone.dropout': (0.0, 0.0)})
    assert max_diff(whole, resumed) > 0.0
