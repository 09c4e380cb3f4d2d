"""Round 12b of the pykan user patterns: what a KAN inside users' own code shows of itself."""
import copy
import io
import pickle

import torch
from torch import nn

import kanlab.pykan as K


def test_class_name_is_pykans_multkan():
    # pykan 0.2.8: class MultKAN, KAN = MultKAN; logs print type(model).__name__ and repr
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    assert type(model).__name__ == "MultKAN"
    assert repr(model).startswith("MultKAN(")
    assert K.KAN is K.MultKAN
    net = nn.Sequential(nn.Linear(2, 2), model)
    assert "MultKAN" in [type(m).__name__ for m in net.modules()]


def test_renamed_class_still_pickles_and_copies():
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    x = torch.rand(8, 2) * 2 - 1
    for twin in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert type(twin) is K.KAN
        assert torch.allclose(twin(x), model(x))
    buf = io.BytesIO()
    torch.save(model, buf)
    buf.seek(0)
    assert type(torch.load(buf, weights_only=False)) is K.KAN
