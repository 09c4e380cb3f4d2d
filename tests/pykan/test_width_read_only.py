"""Editing the list ``model.width`` returns raises a TypeError saying what to do (it changed
no model, silently); copies of it are plain lists, and the list reads as pykan's."""
import copy
import json
import pickle

import pytest
import torch

from kanlab import pykan


def _model():
    return pykan.KAN(width=[2, [3, 2], 1], grid=3, seed=0, auto_save=False)


@pytest.mark.parametrize("edit", [
    lambda w: w[1].__setitem__(0, w[1][0] + 1),  # model.width[1][0] += 1
    lambda w: w.__setitem__(1, [4, 2]),
    lambda w: w.append([1, 0]),
    lambda w: w[1].append(0),
    lambda w: w.pop(),
    lambda w: w.__delitem__(0),
    lambda w: w.insert(0, [1, 0]),
    lambda w: w.extend([[1, 0]]),
    lambda w: w.__iadd__([[1, 0]]),
    lambda w: w[2].clear(),
    lambda w: w.reverse(),
])
def test_in_place_edits_raise(edit):
    model = _model()
    with pytest.raises(TypeError, match="expand_width.*width = \\[list\\(w\\) for w in model.width\\]"):
        edit(model.width)
    assert model.width == [[2, 0], [3, 2], [1, 0]]


def test_the_augmented_assignment_users_write():
    model = _model()
    with pytest.raises(TypeError, match="read off the model's layers"):
        model.width[1][0] += 1


def test_copies_are_plain_lists_and_the_list_reads_as_a_list():
    model = _model()
    for plain in (copy.copy(model.width), copy.deepcopy(model.width),
                  pickle.loads(pickle.dumps(model.width)), [list(w) for w in model.width]):
        assert type(plain) is list and all(type(w) is list for w in plain)
        plain[1][0] += 1
        plain.append([1, 0])
    assert model.width == [[2, 0], [3, 2], [1, 0]] and model.width != [[2, 0], [4, 2], [1, 0]]
    assert json.loads(json.dumps(model.width)) == [[2, 0], [3, 2], [1, 0]]
    assert torch.tensor(model.width).tolist() == [[2, 0], [3, 2], [1, 0]]
    assert [n for n, _ in model.width] == [2, 3, 1] and model.width[1:] == [[3, 2], [1, 0]]
    again = pykan.KAN(width=model.width, grid=3, seed=0, auto_save=False)
    assert again.width == model.width
    model.expand_width(1, 1)  # the structure methods change it
    assert model.width == [[2, 0], [4, 2], [1, 0]]
