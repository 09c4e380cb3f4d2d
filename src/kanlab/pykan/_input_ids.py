"""pykan's ``input_id``: a model made by ``prune_input`` goes on taking the original inputs.

pykan 0.2.8's pruned model keeps ``input_id``, the original columns it kept, and its
forward pass reads ``x[:, input_id]``, so code written for the full dataset runs on after
``prune_input`` (``model.fit(dataset)``, ``model(dataset['test_input'])``).  kanlab's
model keeps the same list as ``input_ids`` and takes the kept columns only; here an input
of the original width (wider than the model, covering every kept column) is narrowed to
them, and one of the model's own width is taken as it is.  A model that pruned no input
narrows nothing: a wider input is an error, as for any model.
"""
from __future__ import annotations

import torch
from torch import Tensor

from kanlab._compat import static_size

__all__ = ["input_id", "own_columns", "own_columns_of_dataset"]


def input_id(model) -> Tensor:
    """pykan's ``input_id``: the original input column of each input, ``(width_in[0],)`` long."""
    return torch.tensor(model.input_ids, dtype=torch.long, device=model.layers[0].knots.device)


def own_columns(model, x):
    """``x`` with the model's inputs: the columns ``input_ids`` of an input of the original
    width after ``prune_input``, else ``x`` as it is."""
    ids = list(getattr(model, "input_ids", ()))
    n = model.n_nodes[0]
    if not (isinstance(x, Tensor) and x.dim() == 2):
        return x
    width = static_size(x, 1)  # the data's width is fixed in a traced graph too
    if not (width > n and width > max(ids)):
        return x
    # kept inputs 0..n-1 look like an unpruned model's: then the data's width, which
    # prune_input records (data_columns), tells a pruned model's rows from a wrong width
    if ids != list(range(n)) or getattr(model, "data_columns", None) == width:
        return x[:, ids]
    return x


def own_columns_of_dataset(model, dataset: dict) -> dict:
    """A dataset dict whose ``train_input``/``test_input`` have the model's inputs."""
    out = dict(dataset)
    for key in ("train_input", "test_input"):
        if key in out:
            out[key] = own_columns(model, out[key])
    return out
