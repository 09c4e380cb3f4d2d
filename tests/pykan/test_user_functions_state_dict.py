"""An edge fixed to a user's own function (``fix_symbolic`` with a callable, or a name from
``add_symbolic``) through ``state_dict``/``load_state_dict``, ``torch.save`` and pykan's
``saveckpt``/``loadckpt`` (``benchmarks/pykan_user_cases/round7_state.py``)."""
import copy
import io

import pytest
import torch

from kanlab import pykan
from kanlab.nn import _carried_functions
from kanlab.symbolic import LIBRARY


def _fixed(fn):
    model = pykan.KAN(width=[2, 2, 1], grid=3, k=3, seed=0, auto_save=False)
    model(torch.rand(30, 2) * 2 - 1)
    model.fix_symbolic(0, 0, 1, fn, fit_params_bool=False)
    return model


def _fresh():
    return pykan.KAN(width=[2, 2, 1], grid=3, k=3, seed=1, auto_save=False)


def _gap(a, b):
    x = torch.rand(40, 2) * 2 - 1
    with torch.no_grad():
        return float((a(x) - b(x)).abs().max())


def test_state_dict_with_a_lambda_loads_into_a_fresh_model():
    """A fresh model takes the user's function from the state_dict (was: ValueError, "cannot be
    restored from a state_dict"; pykan 0.2.8 loads a zero function there)."""
    model = _fixed(lambda x: 0.5 * torch.sin(x))
    for state in (model.state_dict(), copy.deepcopy(model.state_dict())):
        other = _fresh()
        other.load_state_dict(state)
        assert _gap(model, other) == 0.0
        assert other.symbolic_fun[0].funs_name[1][0] == "anonymous"


def test_state_dict_file_keeps_its_keys_and_loads_weights_only():
    """``torch.save`` of the state_dict works with a lambda on an edge, and
    ``torch.load(weights_only=True)`` reads it back (the functions travel as strings)."""
    model = _fixed(lambda x: 0.5 * torch.sin(x))
    assert not any("user" in key for key in model.state_dict())
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    buf.seek(0)
    other = _fresh()
    other.load_state_dict(torch.load(buf, weights_only=True))
    assert _gap(model, other) == 0.0


def test_state_dict_in_another_process_needs_the_name_registered(monkeypatch):
    """Another process (this one's candidates forgotten) restores a function registered with
    ``add_symbolic`` by its name; an unregistered Python function fails saying what to do."""
    monkeypatch.setitem(LIBRARY, "half_sin_r7", None)  # removed again after the test
    pykan.add_symbolic("half_sin_r7", lambda x: 0.5 * torch.sin(x))
    named = pykan.KAN(width=[2, 2, 1], grid=3, k=3, seed=0, auto_save=False)
    named.fix_symbolic(0, 0, 1, "half_sin_r7", fit_params_bool=False)
    anonymous = _fixed(lambda x: 0.5 * torch.sin(x))
    named_state, anonymous_state = named.state_dict(), anonymous.state_dict()
    monkeypatch.setattr(_carried_functions, "_HELD", {})
    other = _fresh()
    other.load_state_dict(named_state)
    assert _gap(named, other) == 0.0
    with pytest.raises(RuntimeError, match="register the function under a name"):
        _fresh().load_state_dict(anonymous_state)


def test_saveckpt_with_a_lambda_loads_here_and_says_what_to_do_elsewhere(tmp_path, monkeypatch):
    """``saveckpt`` of a model with a lambda on an edge writes, ``loadckpt`` in this process
    gives the same model (was: PicklingError on saving); in another process a clear
    ValueError (pykan 0.2.8: KeyError 'anonymous')."""
    model = _fixed(lambda x: 0.5 * torch.sin(x))
    model.saveckpt(str(tmp_path / "m"))
    assert _gap(model, pykan.KAN.loadckpt(str(tmp_path / "m"))) == 0.0
    monkeypatch.setattr(_carried_functions, "_HELD", {})
    with pytest.raises(ValueError, match="could not be pickled"):
        pykan.KAN.loadckpt(str(tmp_path / "m"))


def test_deepcopy_shares_the_users_function():
    """``copy.deepcopy`` of such a model still computes the same function."""
    model = _fixed(lambda x: 0.5 * torch.sin(x))
    assert _gap(model, copy.deepcopy(model)) == 0.0
