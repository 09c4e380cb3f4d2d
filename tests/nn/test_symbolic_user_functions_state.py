"""A user's own symbolic candidate on an edge travels with ``state_dict`` (in its metadata:
``kanlab.nn._carried_functions``) and with a pickle, the native API."""
import copy
import io
import pickle

import pytest
import torch

from kanlab.nn import KAN, _carried_functions
from kanlab.symbolic import Candidate


def _model(seed=0):
    return KAN([2, 2, 1], grid=3, k=3, seed=seed)


def _with_user_edge():
    model = _model()
    mine = Candidate("half_cube_nn", lambda u: 0.5 * u ** 3, lambda u: u ** 3 / 2, 2)
    model.symbolic[0].set_edge(1, 0, mine, (1.0, 0.1, 2.0, -0.3))
    return model


def _gap(a, b):
    x = torch.rand(30, 2) * 2 - 1
    with torch.no_grad():
        return float((a(x) - b(x)).abs().max())


def test_fresh_model_loads_a_user_candidate():
    """Loading into another model restores the candidate (was: ValueError from
    ``candidate_at``: the edge's code was -2 and the module knew no candidate)."""
    model = _with_user_edge()
    other = _model(seed=1)
    other.load_state_dict(copy.deepcopy(model.state_dict()))
    assert _gap(model, other) == 0.0
    assert other.symbolic[0].names[0][1] == "half_cube_nn"


def test_state_dict_keys_are_unchanged_and_metadata_is_plain_strings():
    """Only the metadata carries the candidate, as strings (``weights_only`` loads it)."""
    model = _with_user_edge()
    state = model.state_dict()
    assert list(state) == list(_model().state_dict())
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    other = _model(seed=1)
    other.load_state_dict(torch.load(buf, weights_only=True))
    assert _gap(model, other) == 0.0


def test_unknown_candidate_fails_with_advice(monkeypatch):
    """In a process that does not hold the candidate and has none registered under its
    name, loading says to register it."""
    state = _with_user_edge().state_dict()
    monkeypatch.setattr(_carried_functions, "_HELD", {})
    with pytest.raises(RuntimeError, match="register the function under a name"):
        _model(seed=1).load_state_dict(state)


def test_pickle_of_a_lambda_candidate(monkeypatch):
    """A lambda candidate pickles by name: this process restores it, another fails clearly
    (was: PicklingError when saving)."""
    model = _with_user_edge()
    blob = pickle.dumps(model)
    assert _gap(model, pickle.loads(blob)) == 0.0
    monkeypatch.setattr(_carried_functions, "_HELD", {})
    with pytest.raises(ValueError, match="could not be pickled"):
        pickle.loads(blob)
