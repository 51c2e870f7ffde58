"""2 gloo processes at batch B/2 train a CAM classifier exactly as 1
process at batch B: with SyncBN (``cfg.sync_bn='torch'``, turned into
``CPUSyncBatchNorm`` by the CPU DDP wrapper) when BN is in train mode, and
with plain BN when BN is frozen (``norm_eval=True``, the official setting);
without SyncBN, BN in train mode makes them differ.

The runs are in float64: this from-scratch network on noise images is
chaotic (a 2e-7 change of the initial weights moves the float32 weights by
1e-2 after 3 SGD steps), so float32's different summation orders in 1 and
2 processes would hide the comparison; in float64 they stay below 1e-9."""
import os
import socket

import pytest
import torch
import torch.multiprocessing as mp
from mmengine.config import Config
from mmengine.model import convert_sync_batchnorm
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from helpers import build_module, cls_preprocessor, tiny_resnet38d
from mmwsss.models import CPUSyncBatchNorm
from mmwsss.registry import MODEL_WRAPPERS

WORLD, BATCH, STEPS, SIZE = 2, 4, 3, 32
TIMEOUT_S = 240
# scenario: (BN in train mode, cfg.sync_bn)
SCENARIOS = dict(
    sync=(True, 'torch'), no_sync=(True, None), frozen=(False, None))


def build_classifier(train_bn: bool) -> torch.nn.Module:
    """The 1/16-width ResNet-38d GAP classifier, seed-0 initialisation."""
    backbone = tiny_resnet38d(
        width_mult=0.0625,
        norm_eval=not train_bn,
        frozen_bn_affine=not train_bn)
    cfg = dict(
        type='CAMClassifier',
        data_preprocessor=cls_preprocessor(),
        backbone=backbone,
        head=dict(type='GAPHead', num_classes=6, in_channels=256))
    return build_module(cfg, seed=0).double()


def global_batches() -> list:
    """``STEPS`` global batches of ``BATCH`` uint8 images and labels."""
    gen = torch.Generator().manual_seed(1)
    batches = []
    for _ in range(STEPS):
        images = torch.randint(0, 256, (BATCH, 3, SIZE, SIZE),
                               generator=gen, dtype=torch.uint8)
        labels = [torch.randperm(6, generator=gen)[:1 + i % 2].tolist()
                  for i in range(BATCH)]
        batches.append((images, labels))
    return batches


def as_data(images: torch.Tensor, labels: list) -> dict:
    samples = []
    for label in labels:
        sample = DataSample(metainfo=dict(img_shape=(SIZE, SIZE)))
        samples.append(sample.set_gt_label(label))
    return dict(inputs=list(images), data_samples=samples)


def train(model, rank: int = 0, world: int = 1) -> dict:
    """``STEPS`` SGD steps; rank r takes its slice of each global batch."""
    optim = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    part = BATCH // world
    model.train()  # what the train loop does (norm_eval takes effect)
    for images, labels in global_batches():
        mine = slice(rank * part, (rank + 1) * part)
        model.train_step(as_data(images[mine], labels[mine]), optim)
    module = getattr(model, 'module', model)
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _worker(rank: int, port: int, out_dir: str) -> None:
    torch.set_num_threads(1)
    os.environ.update(
        RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(WORLD),
        MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    from mmwsss.utils import setup_cpu_distributed
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    # what tools/train.py --launcher pytorch does without CUDA
    setup_cpu_distributed(cfg, 'pytorch')
    for name, (train_bn, sync_bn) in SCENARIOS.items():
        model = build_classifier(train_bn)
        if sync_bn:  # what mmengine's Runner.wrap_model does
            model = convert_sync_batchnorm(model, sync_bn)
        model = MODEL_WRAPPERS.build(
            cfg.model_wrapper_cfg, default_args=dict(module=model))
        if sync_bn:
            assert any(
                isinstance(m, CPUSyncBatchNorm) for m in model.modules())
        state = train(model, rank, WORLD)
        if rank == 0:
            torch.save(state, os.path.join(out_dir, f'{name}.pth'))
    torch.distributed.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='module')
def two_process_states(tmp_path_factory):
    out_dir = str(tmp_path_factory.mktemp('ddp'))
    ctx = mp.get_context('spawn')
    port = _free_port()
    procs = [
        ctx.Process(target=_worker, args=(rank, port, out_dir))
        for rank in range(WORLD)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(TIMEOUT_S)
    alive = [p for p in procs if p.is_alive()]
    for proc in alive:
        proc.terminate()
        proc.join()
    assert not alive, f'the 2 gloo processes ran past {TIMEOUT_S} s'
    assert all(p.exitcode == 0 for p in procs), \
        [p.exitcode for p in procs]
    return {
        name: torch.load(os.path.join(out_dir, f'{name}.pth'))
        for name in SCENARIOS
    }


def max_difference(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max((a[k].double() - b[k].double()).abs().max().item()
               for k in a if a[k].is_floating_point())


def test_syncbn_two_processes_equal_one(two_process_states):
    single = train(build_classifier(train_bn=True))
    # parameters and running statistics after 3 steps
    assert max_difference(two_process_states['sync'], single) < 1e-9
    # per-process BN statistics of half batches: a different training
    assert max_difference(two_process_states['no_sync'], single) > 1e-3


def test_frozen_bn_two_processes_equal_one(two_process_states):
    single = train(build_classifier(train_bn=False))
    assert max_difference(two_process_states['frozen'], single) < 1e-9


def test_cpu_sync_bn_is_plain_bn_in_one_process():
    torch.manual_seed(0)
    plain = torch.nn.BatchNorm2d(3)
    sync = CPUSyncBatchNorm.convert_sync_batchnorm(
        torch.nn.Sequential(torch.nn.SyncBatchNorm(3)))[0]
    assert isinstance(sync, CPUSyncBatchNorm)
    x = torch.randn(4, 3, 5, 5)
    assert torch.allclose(plain(x), sync(x))
    assert torch.allclose(plain.running_var, sync.running_var)
