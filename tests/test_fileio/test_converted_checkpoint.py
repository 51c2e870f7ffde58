"""The pieces the model converters share: reading, shape checks, saving
and the exit status of their command line."""
import errno
from collections import OrderedDict

import pytest
import torch

from mmwsss.fileio.converted_checkpoint import (
    converter_parser,
    fit_to_shapes,
    load_state_dict,
    reject_unknown_keys,
    run_converter,
    save_converted,
    state_dict_of,
)
from mmwsss.utils import InvalidInputError, MissingInputError

FIX = 'Fix: pass the official file.'


def test_state_dict_of_unwraps_and_strips_module():
    w = torch.ones(2)
    assert list(state_dict_of({'state_dict': {'module.a.weight': w}},
                              FIX)) == ['a.weight']
    with pytest.raises(InvalidInputError, match=r'^f\.pth: holds a list'):
        state_dict_of([w], FIX, 'f.pth')
    with pytest.raises(InvalidInputError, match=r"not tensors: \['epoch'\]"):
        state_dict_of({'epoch': 3, 'a': w}, FIX)


def test_load_state_dict(tmp_path):
    src = tmp_path / 'official.pth'
    torch.save({'module.conv.weight': torch.zeros(1)}, src)
    assert list(load_state_dict(str(src), FIX)) == ['conv.weight']
    with pytest.raises(MissingInputError, match='checkpoint not found.*Fix'):
        load_state_dict(str(tmp_path / 'none.pth'), FIX)
    (tmp_path / 'junk.pth').write_bytes(b'junk')
    with pytest.raises(InvalidInputError, match='not a readable torch'):
        load_state_dict(str(tmp_path / 'junk.pth'), FIX)


def test_fit_to_shapes():
    expected = OrderedDict([('bn.weight', (2, )), ('bn.num_batches_tracked',
                                                   ()), ('fc.weight', (3, 2))])
    state = {'fc.weight': torch.ones(3, 2), 'bn.weight': torch.ones(2)}
    fitted, added = fit_to_shapes(state, expected, 'a Net', FIX)
    assert list(fitted) == list(expected)  # the modules' order
    assert added == ['bn.num_batches_tracked']
    assert fitted['bn.num_batches_tracked'].item() == 0
    for bad, message in (
        (dict(state, extra=torch.ones(1)), r"1 tensors do not exist in a Net"
         r": \['extra'\]"),
        ({'bn.weight': torch.ones(2)}, r"tensors of a Net are missing: "
         r"\['fc.weight'\]"),
        (dict(state, **{'fc.weight': torch.ones(2, 3)}),
         r"inconsistent with a Net .*'fc.weight', \(2, 3\), \(3, 2\)"),
    ):
        with pytest.raises(InvalidInputError, match=message + '.*Fix'):
            fit_to_shapes(bad, expected, 'a Net', FIX)


def test_reject_unknown_keys():
    def to_mmwsss(key):
        return {'fc8.weight': 'head.hidden.weight', 'bn8.bias': ''}.get(key)

    reject_unknown_keys(['fc8.weight', 'bn8.bias'], to_mmwsss, 'X', FIX)
    with pytest.raises(InvalidInputError) as exc:
        reject_unknown_keys(['fc8.weight', 'aux.w'], to_mmwsss, 'official X',
                            FIX)
    assert str(exc.value) == ("1 keys match no official X module: "
                              "['aux.w']. " + FIX)
    with pytest.raises(InvalidInputError, match='mmwsss keys already'):
        reject_unknown_keys(['head.hidden.weight'], to_mmwsss, 'X', FIX)


def test_save_converted(tmp_path):
    src = tmp_path / 'official.pth'
    src.write_bytes(b'weights')
    dst = tmp_path / 'new' / 'converted.pth'
    state = OrderedDict(w=torch.arange(3.))
    meta = save_converted(str(dst), state, str(src), 'tools/x.py',
                          architecture='Net')
    saved = torch.load(dst, weights_only=True)
    assert saved['meta'] == meta and torch.equal(saved['state_dict']['w'],
                                                 state['w'])
    assert meta['source'] == 'official.pth' and meta['num_tensors'] == 1
    assert meta['converter'] == 'tools/x.py' and len(
        meta['source_sha256']) == 64
    assert sorted(p.name for p in dst.parent.iterdir()) == ['converted.pth']


def test_run_converter_exit_status(capsys):
    args = converter_parser('d', 's', 'o').parse_args(['in.pth', 'out.pth'])
    assert run_converter(lambda: dict(n=2), args.dst,
                         lambda meta: [f'converted {meta["n"]}']) == 0
    assert capsys.readouterr().out == 'converted 2\nsaved out.pth\n'

    def fails(error):
        def convert():
            raise error
        return convert

    assert run_converter(fails(InvalidInputError('bad key. ' + FIX)),
                         args.dst, list) == 2
    assert capsys.readouterr().err == f'error: bad key. {FIX}\n'
    full = OSError(errno.ENOSPC, 'No space left on device', 'out.pth')
    assert run_converter(fails(full), args.dst, list) == 2
    assert 'No space left on device: out.pth' in capsys.readouterr().err
    with pytest.raises(KeyError):  # a bug keeps its traceback
        run_converter(fails(KeyError('x')), args.dst, list)
