"""ACRClassifier: RU trains G only, CU trains F only, on one mini-batch."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapperDict, build_optim_wrapper
from mmpretrain.structures import DataSample

from helpers import build_module, cls_preprocessor

SGD = dict(type='SGD', lr=0.01, momentum=5e-4, weight_decay=5e-4)


def tiny_trunk(**overrides) -> dict:
    """The 1/16-width ResNet-38d, BN frozen, no dropout (deterministic)."""
    return dict(type='ResNet38d', width_mult=0.0625, **overrides)


def build_model(**overrides):
    cfg = dict(
        type='ACRClassifier',
        data_preprocessor=cls_preprocessor(),
        backbone=tiny_trunk(),
        head=dict(type='GAPHead', num_classes=6, in_channels=256,
                  hidden_channels=16),
        reconstructor=dict(
            type='ACRReconstructor',
            encoder=tiny_trunk(out_indices=(3, 5, 6)),
            tap_channels=(8, 16, 32),
            head=dict(type='GAPHead', num_classes=6, in_channels=256,
                      hidden_channels=16),
            decoder=dict(type='ReconstructionUNet', in_channels=56,
                         channels=(16, 32, 64), dropout=(0, 0, 0.5))))
    cfg.update(overrides)
    return build_module(cfg, seed=0)


def optimisers(model, optimizer=SGD, **paramwise):
    return build_optim_wrapper(
        model,
        dict(constructor='ACROptimWrapperConstructor',
             classifier=dict(optimizer=optimizer),
             reconstructor=dict(optimizer=optimizer),
             paramwise_cfg=paramwise or None))


def random_batch(num=2, size=32, seed=0):
    gen = torch.Generator().manual_seed(seed)
    images = [torch.randint(0, 256, (3, size, size), generator=gen,
                            dtype=torch.uint8) for _ in range(num)]
    labels = [torch.tensor([1, 3]), torch.tensor([0])] * (num // 2)
    return dict(inputs=images,
                data_samples=[DataSample().set_gt_label(y) for y in labels])


def prepared(model, batch):
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    labels = model.targets(data['data_samples'])
    target = torch.zeros_like(labels)
    target[torch.arange(len(labels)), labels.argmax(dim=1)] = 1
    hidden = (torch.rand(len(labels), 1, 4, 4,
                         generator=torch.Generator().manual_seed(1)) < 0.5)
    return data['inputs'], labels, target, hidden.float()


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.named_parameters()}


def changed(module, before):
    return [k for k, v in module.named_parameters()
            if not torch.equal(v, before[k])]


def f_modules(model):
    return [model.backbone, model.head]


def test_ru_steps_only_the_reconstructor_and_cu_only_the_classifier():
    model = build_model()
    optim = optimisers(model)
    img, labels, target, hidden = prepared(model, random_batch())
    f_before = [snapshot(m) for m in f_modules(model)]
    g_before = snapshot(model.reconstructor)

    terms = model.reconstructor_update(img, labels, target, hidden,
                                       optim['reconstructor'])
    assert set(terms) >= {'loss_ru', 'rec_cls', 'rec_full', 'rec_t',
                          'rec_nt', 'ru_skipped'}
    assert all(changed(m, b) == [] for m, b in zip(f_modules(model),
                                                   f_before))
    moved = changed(model.reconstructor, g_before)
    assert any(k.startswith('decoder.') for k in moved)
    assert any(k.startswith('encoder.') for k in moved)
    assert any(k.startswith('taps.') for k in moved)
    assert any(k.startswith('head.') for k in moved)
    assert all(p.grad is None for m in f_modules(model)
               for p in m.parameters())

    g_after_ru = snapshot(model.reconstructor)
    terms = model.classifier_update(img, labels, target,
                                    optim['classifier'])
    assert set(terms) >= {'loss_cu', 'cls', 'adv_t', 'adv_nt', 'cu_skipped'}
    assert changed(model.reconstructor, g_after_ru) == []
    assert all(changed(m, b) for m, b in zip(f_modules(model), f_before))
    # no gradient was accumulated in G during CU, and G stays trainable
    assert all(p.grad is None for p in model.reconstructor.parameters())
    trainable = [p.requires_grad for p in model.reconstructor.parameters()]
    assert any(trainable)
    assert trainable == [
        p.requires_grad for p in build_model().reconstructor.parameters()
    ]


def test_train_step_returns_both_phases_and_restores_the_mode():
    model = build_model()
    model.train()
    model.srf_epoch = 3
    out = model.train_step(random_batch(), optimisers(model))
    for key in ('loss_ru', 'loss_cu', 'rec_t', 'adv_nt', 'ru_skipped',
                'cu_skipped'):
        assert torch.isfinite(out[key]), key
    assert out['srf_keep'].item() == pytest.approx(0.77)
    assert model.training and model.reconstructor.training
    assert model.backbone.training and not any(
        m.training for m in model.backbone.modules()
        if isinstance(m, torch.nn.BatchNorm2d))  # BN frozen (norm_eval)


def test_lambda0_classifier_update_is_a_plain_bce_step():
    lam0 = dict(type='ReconstructorAdversaryLoss',
                ru_weights=dict(cls=0.0, full=0.0, t=0.0, nt=0.0),
                cu_weights=dict(t=0.0, nt=0.0))
    model = build_model(adversary=lam0)
    plain = copy.deepcopy(model)
    g_before = snapshot(model.reconstructor)
    batch = random_batch()
    out = model.train_step(copy.deepcopy(batch), optimisers(model))
    assert 'loss_ru' not in out  # the RU is skipped: G is not trained
    assert changed(model.reconstructor, g_before) == []

    # the same batch through a plain multi-label BCE step of F alone
    optim = torch.optim.SGD(
        [p for m in f_modules(plain) for p in m.parameters()
         if p.requires_grad], lr=0.01, momentum=5e-4, weight_decay=5e-4)
    data = plain.data_preprocessor(copy.deepcopy(batch), True)
    plain.train()
    targets = plain.targets(data['data_samples'])
    loss = plain.head.loss(
        plain.head.forward_train(plain.extract_feat(data['inputs'])),
        targets)['loss_cls']
    loss.backward()
    optim.step()
    assert torch.allclose(out['loss_cu'], loss.detach())
    for m_acr, m_plain in zip(f_modules(model), f_modules(plain)):
        for (k, a), b in zip(m_acr.named_parameters(),
                             m_plain.parameters()):
            assert torch.allclose(a, b, atol=1e-7, rtol=0), k


@pytest.mark.parametrize('phase', ['ru', 'cu'])
def test_non_finite_loss_skips_the_step(phase):
    model = build_model()
    optim = optimisers(model)
    original = getattr(model.adversary, phase)

    def poisoned(*args, **kwargs):
        terms = original(*args, **kwargs)
        terms[f'loss_{phase}'] = terms[f'loss_{phase}'] * float('nan')
        return terms

    setattr(model.adversary, phase, poisoned)
    f_before = snapshot(model.backbone)
    g_before = snapshot(model.reconstructor)
    out = model.train_step(random_batch(), optim)
    assert out[f'{phase}_skipped'] == 1
    other = 'cu' if phase == 'ru' else 'ru'
    assert out[f'{other}_skipped'] == 0
    if phase == 'ru':
        assert changed(model.reconstructor, g_before) == []
        assert changed(model.backbone, f_before)
    else:
        assert changed(model.backbone, f_before) == []
        assert changed(model.reconstructor, g_before)
    # the skipped gradients are cleared, not carried into the next step
    assert all(p.grad is None for p in model.parameters())


def test_a_few_iterations_lower_both_losses():
    model = build_model()
    optim = optimisers(
        model, dict(type='AdamW', lr=1e-3, weight_decay=0.0),
        bias_lr_mult=1.0, deconv_lr_mult=1.0)
    batch = random_batch(num=4, seed=3)
    torch.manual_seed(0)
    logs = [model.train_step(copy.deepcopy(batch), optim)
            for _ in range(12)]

    def mean(key, rows):
        return sum(float(row[key]) for row in rows) / len(rows)

    for key in ('loss_ru', 'loss_cu', 'cls'):
        assert mean(key, logs[-4:]) < mean(key, logs[:4]), key


def test_srf_cells_fixed_or_drawn_per_iteration():
    assert build_model().srf_grid_size() == 16
    model = build_model(srf=dict(cells=(4, 6)))
    torch.manual_seed(0)
    assert {model.srf_grid_size() for _ in range(60)} == {4, 5, 6}
    model.srf_epoch = 100  # q clamps at 0 instead of going negative
    assert model.srf_keep() == 0.0
    for bad in (0, (6, 4), (4, 5, 6), 2.5):
        with pytest.raises(ValueError, match='srf.cells'):
            build_model(srf=dict(cells=bad))
    with pytest.raises(ValueError, match='unknown keys'):
        build_model(srf=dict(grid=16))


def test_loss_mode_and_single_optimiser_are_refused():
    model = build_model()
    data = model.data_preprocessor(random_batch(), True)
    with pytest.raises(RuntimeError, match='train_step with two'):
        model(data['inputs'], data['data_samples'], mode='loss')
    single = build_optim_wrapper(model, dict(optimizer=SGD))
    with pytest.raises(TypeError, match='OptimWrapperDict'):
        model.train_step(random_batch(), single)
    with pytest.raises(TypeError, match='OptimWrapperDict'):
        model.train_step(random_batch(), OptimWrapperDict(
            classifier=optimisers(model)['classifier']))


def test_inference_uses_the_classifier_only():
    model = build_model(cam_cfg=dict(normalize='minmax'))
    model.eval()

    def fail(*args):
        raise AssertionError('the reconstructor ran at inference')

    model.reconstructor.features = fail
    model.reconstructor.decode = fail
    data = model.data_preprocessor(random_batch(), False)
    samples = model.predict(data['inputs'], data['data_samples'])
    assert samples[0].cam_labels.tolist() == [1, 3]
    cams = samples[0].cams
    assert cams.shape == (2, 32, 32)
    # min-max normalised: every map spans [0, 1) with exact zeros
    assert cams.amin(dim=(1, 2)).eq(0).all() and cams.max() <= 1
    assert 'reconstructor.decoder.final.conv.bias' in model.state_dict()


DDP_SCRIPT = '''
import sys
import torch
import torch.distributed as dist
from mmengine.model import MMSeparateDistributedDataParallel
sys.path[:0] = [{root!r}, {tests!r}, {here!r}]
from mmwsss.utils import register_all_modules
register_all_modules()
import test_acr_classifier as t

dist.init_process_group('gloo')
rank = dist.get_rank()
torch.manual_seed(rank)  # different SRF grids and targets per process
model = t.build_model()
if rank:  # DDP broadcasts rank 0's weights
    for p in model.parameters():
        p.data.add_(1.0)
wrapped = MMSeparateDistributedDataParallel(
    model, broadcast_buffers=False, find_unused_parameters=True,
    device_ids=None)
optim = t.optimisers(wrapped)
start = torch.cat([p.detach().flatten() for p in model.parameters()])
for _ in range(2):
    out = wrapped.train_step(t.random_batch(seed=rank), optim)
flat = torch.cat([p.detach().flatten() for p in model.parameters()])
copies = [torch.zeros_like(flat) for _ in range(2)]
dist.all_gather(copies, flat)
assert torch.equal(copies[0], copies[1]), 'the processes diverged'
assert not torch.equal(flat, start)
samples = wrapped.val_step(t.random_batch(seed=rank))
assert samples[0].cams.shape[-2:] == (32, 32)
print('ACR-DDP-OK', rank, float(out['loss_ru']), float(out['loss_cu']))
'''


@pytest.mark.slow
def test_two_processes_average_both_updates(tmp_path):
    """MMSeparateDistributedDataParallel on 2 CPU processes (gloo) with
    different data: both networks stay identical across processes."""
    import os
    import os.path as osp
    import subprocess
    import sys

    from helpers import ROOT
    script = tmp_path / 'ddp_step.py'
    script.write_text(DDP_SCRIPT.format(
        root=ROOT, tests=osp.join(ROOT, 'tests'),
        here=osp.dirname(osp.abspath(__file__))))
    res = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--standalone',
         '--nproc_per_node=2', str(script)],
        cwd=str(tmp_path), env=dict(os.environ, OMP_NUM_THREADS='1'),
        capture_output=True, text=True, timeout=600)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-6000:]
    assert out.count('ACR-DDP-OK') == 2
