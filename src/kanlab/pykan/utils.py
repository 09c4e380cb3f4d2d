"""``kan.utils`` on kanlab: datasets, symbolic helpers and derivatives.

The singularity-avoiding helpers ``f_inv`` ... ``f_exp`` are kanlab's capping in pykan's
signature (:mod:`kanlab.pykan._singularity`, where they differ from pykan's).

``create_dataset`` seeds the global generators and draws from them in pykan's
order, as pykan does (the native :func:`kanlab.train.create_dataset` uses a
private generator and leaves them alone).
"""
from __future__ import annotations

import numpy as np
import torch

from kanlab._validation import check_int
from kanlab.pykan._args import as_tensor_in_place as _in_place
from kanlab.pykan._fit_params import A_RANGE as _A_RANGE
from kanlab.pykan._legacy import available_device, seed_globals
from kanlab.pykan._symbolic import column_function, ex_round
from kanlab.pykan._symbolic_library import SYMBOLIC_LIB, add_symbolic
from kanlab.train._datasets import label_inputs

__all__ = ["create_dataset", "create_dataset_from_data", "ex_round", "add_symbolic",
           "SYMBOLIC_LIB", "augment_input", "batch_jacobian", "batch_hessian", "sparse_mask",
           "model2param", "get_derivative", "fit_params", "f_inv", "f_inv2", "f_inv3", "f_inv4",
           "f_inv5", "f_sqrt", "f_power1d5", "f_invsqrt", "f_log", "f_tan", "f_arctanh",
           "f_arcsin", "f_arccos", "f_exp"]

from kanlab.pykan._views import sparse_mask as _sparse_pattern  # noqa: E402
from kanlab.pykan._singularity import (f_arccos, f_arcsin, f_arctanh, f_exp, f_inv,  # noqa: E402
                                       f_inv2, f_inv3, f_inv4, f_inv5, f_invsqrt, f_log,
                                       f_power1d5, f_sqrt, f_tan)


def _ranges(n_var: int, ranges) -> np.ndarray:
    """``ranges`` as ``(n_var, 2)`` finite ``(lo, hi)`` rows with ``lo < hi``."""
    r = np.asarray(ranges, dtype=float)
    r = np.broadcast_to(r, (n_var, 2)) if r.shape == (2,) else r
    if r.shape != (n_var, 2):
        raise ValueError(f"ranges must be (lo, hi) or {n_var} such pairs, got {ranges!r}")
    if not np.isfinite(r).all() or not (r[:, 0] < r[:, 1]).all():
        raise ValueError(f"every range must be finite with lo < hi, got {r.tolist()}")
    return r


def _pykan_inputs(n_var: int, ranges, train_num: int, test_num: int) -> tuple:
    """Uniform inputs drawn from torch's global generator in pykan's order: for each variable
    in turn, its ``train_num`` training values, then its ``test_num`` test values (so a
    seed gives the very samples pykan's notebooks printed their numbers on)."""
    dtype = torch.get_default_dtype()
    columns = {"train": [], "test": []}
    for lo, hi in _ranges(n_var, ranges):
        for part, num in (("train", train_num), ("test", test_num)):
            # the width times a uniform draw, plus the lower end (in that order, as pykan rounds)
            columns[part].append(torch.rand(num, dtype=dtype, device="cpu") * float(hi - lo)
                                 + float(lo))
    return torch.stack(columns["train"], 1), torch.stack(columns["test"], 1)


def _grid_inputs(n_var: int, ranges, step_size: float, test_num: int) -> tuple:
    """pykan's ``step_size`` inputs (its ``create_dataset`` of July 2024): every point of the
    grid ``arange(lo, hi, step_size)`` per variable; training takes all but ``test_num`` of
    them and the test ``test_num``, each drawn from numpy's global generator on its own (the
    two may share points, as in pykan)."""
    if not (np.isfinite(step_size) and step_size > 0):
        raise ValueError(f"step_size must be a positive number, got {step_size!r}")
    axes = [np.arange(lo, hi, step_size) for lo, hi in _ranges(n_var, ranges)]
    points = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, n_var)
    if test_num >= len(points):
        raise ValueError(f"test_num={test_num} leaves no training point of the "
                         f"{len(points)} grid points (step_size={step_size})")
    grid = torch.from_numpy(points).to(torch.get_default_dtype())
    train = np.random.choice(len(points), len(points) - test_num, replace=False)
    test = np.random.choice(len(points), test_num, replace=False)
    return grid[torch.from_numpy(train)], grid[torch.from_numpy(test)]


def _standardise(data: dict, part: str) -> None:
    """Shift and scale ``{part}`` of both splits by the training split's mean and (n-1) std."""
    mean = data[f"train_{part}"].mean(0, keepdim=True)
    std = data[f"train_{part}"].std(0, keepdim=True)
    for split in ("train", "test"):
        data[f"{split}_{part}"] = (data[f"{split}_{part}"] - mean) / std


def create_dataset(f, n_var=2, f_mode="col", ranges=(-1, 1), train_num=1000, test_num=1000,
                   normalize_input=False, normalize_label=False, device="cpu", seed=0, *,
                   step_size=None):
    """pykan's ``create_dataset``: ``seed`` seeds the global generators (pykan's side effect,
    :mod:`kanlab.pykan._legacy`) and the inputs are drawn from them in pykan's order, so a
    seed gives pykan's samples.  ``f_mode='row'`` calls ``f`` on one sample ``(n_var,)`` at a
    time (vectorised with :func:`torch.vmap` when it can be).  ``step_size`` (pykan's of
    July 2024) takes the inputs from a grid instead, ``train_num`` then unused
    (:func:`_grid_inputs`)."""
    if f_mode not in ("col", "row"):
        raise ValueError(f"f_mode must be 'col' or 'row', got {f_mode!r}")
    n_var = check_int(n_var, "n_var", low=1)
    train_num = check_int(train_num, "train_num", low=1)
    test_num = check_int(test_num, "test_num", low=1)
    seed_globals(seed, python=False)
    def by_row(x):
        try:
            y = torch.vmap(f)(x)
        except Exception:  # noqa: BLE001 - not vmappable: loop
            y = torch.stack([torch.as_tensor(f(row)) for row in x])
        return y.reshape(x.shape[0], -1)
    fn = by_row if f_mode == "row" else f
    data = {}
    inputs = (_pykan_inputs(n_var, ranges, train_num, test_num) if step_size is None
              else _grid_inputs(n_var, ranges, float(step_size), test_num))
    for split, x in zip(("train", "test"), inputs):
        data[f"{split}_input"], data[f"{split}_label"] = x, label_inputs(fn, x)
    if normalize_input:
        _standardise(data, "input")
    if normalize_label:
        _standardise(data, "label")
    device = available_device(device)
    return {k: v.to(device) for k, v in data.items()}


def sparse_mask(in_dim: int, out_dim: int) -> torch.Tensor:
    """pykan's ``sparse_init`` pattern, ``(in_dim, out_dim)`` in the default dtype: 1 where
    an input and an output node are each other's nearest (nodes evenly spaced on ``[0, 1]``)."""
    in_dim, out_dim = check_int(in_dim, "in_dim", low=1), check_int(out_dim, "out_dim", low=1)
    return _sparse_pattern(in_dim, out_dim).t().to(torch.get_default_dtype()).contiguous()


def create_dataset_from_data(inputs, labels, train_ratio=0.8, device="cpu", seed=None):
    """Split ``(inputs, labels)`` at random into train and test, as pykan does: the training
    rows are drawn with numpy's global generator (pykan's; ``seed``, an int, draws them from a
    private one instead), the test rows are the others."""
    inputs, labels = _in_place(inputs), _in_place(labels)
    if inputs.shape[0] != labels.shape[0]:
        raise ValueError(f"inputs has {inputs.shape[0]} rows but labels {labels.shape[0]}")
    n = inputs.shape[0]
    n_train = int(n * float(train_ratio))
    rng = np.random if seed is None else np.random.RandomState(check_int(seed, "seed", low=0))
    tr = np.asarray(rng.choice(n, n_train, replace=False), dtype=np.int64)
    # the rows left, in the order a Python set of them iterates (pykan's order)
    te = np.asarray(list(set(range(n)) - set(tr.tolist())), dtype=np.int64)
    tr, te = torch.from_numpy(tr), torch.from_numpy(te)
    device = available_device(device)
    return {"train_input": inputs[tr].to(device), "test_input": inputs[te].to(device),
            "train_label": labels[tr].to(device), "test_label": labels[te].to(device)}


def augment_input(orig_vars, aux_vars, x):
    """Prepend the auxiliary variables (sympy expressions of ``orig_vars``) as input columns."""
    fns = [column_function(orig_vars, v) for v in aux_vars]

    def grow(t):
        cols = t.detach().cpu().numpy().T
        # a copy: broadcast_to gives a read-only view (torch warns when wrapping one)
        extra = [torch.tensor(np.broadcast_to(fn(*cols), (t.shape[0],)), dtype=t.dtype,
                              device="cpu") for fn in fns]
        return torch.cat([torch.stack(extra, 1).to(t.device), t], dim=1)

    if isinstance(x, dict):
        x = dict(x)
        for k in ("train_input", "test_input"):
            x[k] = grow(x[k])
        return x
    return grow(x)


def batch_jacobian(func, x, create_graph=False, mode="scalar"):
    """The derivatives of ``func`` at every row of ``x``, as pykan returns them.

    ``mode="scalar"``: ``(B, in)``, the gradient of the first output (pykan's default);
    ``mode="vector"``: ``(B, out, in)``, the whole Jacobian.
    """
    if mode not in ("scalar", "vector"):
        raise ValueError(f"mode must be 'scalar' or 'vector', got {mode!r}")

    def _sum(x):
        return func(x).sum(dim=0)
    jac = torch.autograd.functional.jacobian(_sum, x, create_graph=create_graph)
    if jac.dim() == 2:  # func returned one value per row
        jac = jac.unsqueeze(0)
    return jac[0] if mode == "scalar" else jac.permute(1, 0, 2)


def batch_hessian(model, x, create_graph=False):
    """``(B, in, in)``: the Hessian of the first output at every row of ``x``."""
    jac = lambda x: batch_jacobian(model, x, create_graph=True)  # noqa: E731
    return batch_jacobian(jac, x, create_graph=create_graph, mode="vector")


def fit_params(x, y, fun, a_range=_A_RANGE, b_range=(-10, 10), grid_number=101, iteration=3,
               verbose=True, device="cpu"):
    """Fit ``y ≈ c·fun(a·x + b) + d``: ``(tensor([a, b, c, d]), r2)``, printing r2 if ``verbose``.

    kanlab's fitter (:func:`kanlab.symbolic.fit_candidate`) searches ``a, b`` itself, in
    the bounds ``a_range``, ``b_range``; ``grid_number`` and ``iteration`` (pykan's sweep)
    are accepted and unused.
    """
    from kanlab.pykan._symbolic_names import _candidate_from_callable
    from kanlab.pykan._fit_params import fit_edge  # one-valued x: pykan's constant
    params, r2 = fit_edge(x, y, _candidate_from_callable("f", fun), a_range=a_range,
                          b_range=b_range)
    if verbose:
        print(f"r2 is {r2}")
    where = x.device if isinstance(x, torch.Tensor) else "cpu"  # pykan's: on x's device
    return (torch.tensor(list(params), device=where), torch.tensor(r2, device=where))


def model2param(model) -> torch.Tensor:
    """All trainable parameters of ``model`` as one flat vector (``model.parameters()`` order)."""
    return torch.cat([p.detach().reshape(-1) for p in model.parameters() if p.requires_grad])


def get_derivative(model, inputs, labels, derivative="hessian", loss_mode="pred",
                   reg_metric="edge_forward_spline_n", lamb=0.0, lamb_l1=1.0, lamb_entropy=0.0):
    """Jacobian ``(1, P)`` or Hessian ``(1, P, P)`` of the loss in the trainable parameters
    (:func:`model2param`'s order): ``loss_mode`` ``'pred'`` (mean squared error), ``'reg'``
    (the sparsity penalty of ``reg_metric``) or ``'all'`` (``pred + lamb · reg``)."""
    from torch.autograd.functional import hessian, jacobian
    from torch.func import functional_call

    from kanlab.pykan._fit_settings import NATIVE_METRIC, reg_metric_name
    from kanlab.train import FitConfig
    if derivative not in ("hessian", "jacobian"):
        raise ValueError(f"derivative must be 'hessian' or 'jacobian', got {derivative!r}")
    if loss_mode not in ("pred", "reg", "all"):
        raise ValueError(f"loss_mode must be 'pred', 'reg' or 'all', got {loss_mode!r}")
    named = [(f"m.{n}", p.shape) for n, p in model.named_parameters() if p.requires_grad]
    sizes = [s.numel() for _, s in named]
    wrapped = _Penalised(model, FitConfig(lamb=1.0, lamb_l1=float(lamb_l1),
                                          lamb_entropy=float(lamb_entropy),
                                          reg_metric=NATIVE_METRIC[reg_metric_name(reg_metric)]))

    def loss(flat):
        params = {n: t.reshape(s) for (n, s), t in zip(named, flat.split(sizes))}
        pred, reg = functional_call(wrapped, params, (inputs,), strict=False)
        mse = torch.mean((pred - labels) ** 2)
        return {"pred": mse, "reg": reg, "all": mse + lamb * reg}[loss_mode]

    p = model2param(model)
    # torch.autograd.functional (double backward), not torch.func: the fused kernels have
    # autograd formulas but no vmap rule
    return (hessian(loss, p) if derivative == "hessian" else jacobian(loss, p)).unsqueeze(0)


class _Penalised(torch.nn.Module):
    """``model`` returning ``(prediction, sparsity penalty)``, for :func:`get_derivative`."""

    def __init__(self, model, cfg):
        super().__init__()
        self.m, self.cfg = model, cfg

    def forward(self, x):
        from kanlab.train._fit import penalties
        return penalties(self.m, x, self.cfg)
