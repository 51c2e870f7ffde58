from types import SimpleNamespace

import pytest
import torch

from mmwsss.registry import HOOKS
from mmwsss.utils import NonFiniteLossError


def test_raises_on_nan_and_passes_finite(tmp_path):
    hook = HOOKS.build(dict(type='FiniteLossCheckHook'))
    runner = SimpleNamespace(iter=6, work_dir=str(tmp_path))
    hook.after_train_iter(runner, 0, outputs={'loss': torch.tensor(1.0),
                                              'loss_cls': torch.tensor(1.0)})
    with pytest.raises(NonFiniteLossError, match='iteration 7.*loss_cls'):
        hook.after_train_iter(
            runner, 0, outputs={'loss_cls': torch.tensor(float('nan')),
                                'acc': torch.tensor(float('nan'))})
    # only loss keys are checked
    hook.after_train_iter(runner, 0, outputs={'acc': float('inf')})


def test_exploding_loss_stops_and_names_the_checkpoint(tmp_path):
    hook = HOOKS.build(dict(type='FiniteLossCheckHook', explode_ratio=100))
    runner = SimpleNamespace(iter=0, work_dir=str(tmp_path))
    hook.after_train_iter(runner, 0, outputs={'loss': torch.tensor(0.7)})
    runner.iter = 1  # below 100 x max(median, 1): not an explosion
    hook.after_train_iter(runner, 0, outputs={'loss': torch.tensor(90.0)})
    runner.iter = 2
    with pytest.raises(NonFiniteLossError,
                       match='iteration 3.*No checkpoint was saved'):
        hook.after_train_iter(runner, 0, outputs={'loss': torch.tensor(1e9)})
    (tmp_path / 'iter_2.pth').write_bytes(b'x')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_2.pth'))
    with pytest.raises(NonFiniteLossError,
                       match='last checkpoint is .*iter_2'):
        hook.after_train_iter(runner, 0, outputs={'loss': torch.tensor(1e9)})
