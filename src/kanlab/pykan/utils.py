"""``kan.utils`` on kanlab: datasets, symbolic helpers and derivatives.

``create_dataset`` draws from a private generator seeded by ``seed`` (pykan
seeds the global RNGs instead; kanlab leaves them alone).
"""
from __future__ import annotations

import numpy as np
import torch

from kanlab.pykan._symbolic import SYMBOLIC_LIB, add_symbolic, ex_round
from kanlab.train import create_dataset as _create_dataset

__all__ = ["create_dataset", "create_dataset_from_data", "ex_round", "add_symbolic",
           "SYMBOLIC_LIB", "augment_input", "batch_jacobian", "batch_hessian", "sparse_mask"]

from kanlab.pykan._views import sparse_mask  # noqa: E402


def create_dataset(f, n_var=2, f_mode="col", ranges=(-1, 1), train_num=1000, test_num=1000,
                   normalize_input=False, normalize_label=False, device="cpu", seed=0):
    """pykan's ``create_dataset``; ``f_mode='row'`` calls ``f`` on one sample ``(n_var,)`` at a time
    (vectorised with :func:`torch.vmap` when it can be)."""
    if f_mode not in ("col", "row"):
        raise ValueError(f"f_mode must be 'col' or 'row', got {f_mode!r}")
    ranges = np.asarray(ranges, dtype=float)
    ranges = ranges.tolist() if ranges.ndim == 2 else tuple(ranges.tolist())
    fn = f
    if f_mode == "row":
        def fn(x):
            try:
                y = torch.vmap(f)(x)
            except Exception:  # noqa: BLE001 - not vmappable: loop
                y = torch.stack([torch.as_tensor(f(row)) for row in x])
            return y.reshape(x.shape[0], -1)
    data = _create_dataset(fn, n_var=int(n_var), ranges=ranges, train_num=int(train_num),
                           test_num=int(test_num), seed=int(seed), device=device)
    if normalize_input:
        mean, std = data["train_input"].mean(0, keepdim=True), data["train_input"].std(0, keepdim=True)
        for k in ("train_input", "test_input"):
            data[k] = (data[k] - mean) / std
    if normalize_label:
        mean, std = data["train_label"].mean(0, keepdim=True), data["train_label"].std(0, keepdim=True)
        for k in ("train_label", "test_label"):
            data[k] = (data[k] - mean) / std
    return data


def create_dataset_from_data(inputs, labels, train_ratio=0.8, device="cpu", seed=0):
    """Split ``(inputs, labels)`` at random into train and test (a private generator)."""
    inputs, labels = torch.as_tensor(inputs), torch.as_tensor(labels)
    if inputs.shape[0] != labels.shape[0]:
        raise ValueError(f"inputs has {inputs.shape[0]} rows but labels {labels.shape[0]}")
    n = inputs.shape[0]
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(int(seed)))
    n_train = int(n * float(train_ratio))
    tr, te = perm[:n_train], perm[n_train:]
    return {"train_input": inputs[tr].to(device), "test_input": inputs[te].to(device),
            "train_label": labels[tr].to(device), "test_label": labels[te].to(device)}


def augment_input(orig_vars, aux_vars, x):
    """Prepend the auxiliary variables (sympy expressions of ``orig_vars``) as input columns."""
    import sympy
    fns = [sympy.lambdify(orig_vars, v, "numpy") for v in aux_vars]

    def grow(t):
        cols = t.detach().cpu().numpy().T
        extra = [torch.as_tensor(np.broadcast_to(fn(*cols), (t.shape[0],)), dtype=t.dtype)
                 for fn in fns]
        return torch.cat([torch.stack(extra, 1).to(t.device), t], dim=1)

    if isinstance(x, dict):
        x = dict(x)
        for k in ("train_input", "test_input"):
            x[k] = grow(x[k])
        return x
    return grow(x)


def batch_jacobian(func, x, create_graph=False, mode="scalar"):
    """``(B, out, in)``: the Jacobian of ``func`` at every row of ``x``."""
    def _sum(x):
        return func(x).sum(dim=0)
    jac = torch.autograd.functional.jacobian(_sum, x, create_graph=create_graph)
    return jac.permute(1, 0, 2) if jac.dim() == 3 else jac


def batch_hessian(model, x, create_graph=False):
    """``(B, in, in)``: the Hessian of the first output at every row of ``x``."""
    jac = lambda x: batch_jacobian(model, x, create_graph=True)[:, 0, :]  # noqa: E731
    return batch_jacobian(jac, x, create_graph=create_graph)
