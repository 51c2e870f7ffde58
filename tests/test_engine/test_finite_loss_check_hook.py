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
