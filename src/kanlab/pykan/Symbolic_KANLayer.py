"""``kan.Symbolic_KANLayer``: pykan's standalone symbolic layer on :class:`kanlab.nn.SymbolicEdges`.

The state is kanlab's (``mask`` and ``affine`` ``(out_dim, in_dim[, 4])`` in pykan's
layout, each edge's function a code into kanlab's library), so a symbolic layer pickles,
copies and loads like kanlab's; the functions, the fitter (``fix_symbolic`` with ``x, y``:
:func:`kanlab.symbolic.fit_candidate`, ``a, b`` kept in ``a_range``, ``b_range``) and the
singularity avoidance (:func:`kanlab.nn._symbolic_edges.capped`, see
:mod:`kanlab.pykan._singularity`) are kanlab's.

As in pykan, ``mask`` is the user's: it starts at 0 and ``fix_symbolic`` leaves it alone
(a :class:`kanlab.pykan.KAN` sets it when it fixes an edge), so an edge contributes
``mask[j, i] · (c · f(a · x_i + b) + d)`` (``f = 0`` where no function is set, as pykan's
``'0'``); ``affine`` is always trainable.

One difference, a pykan bug: pykan's ``swap`` exchanges the names, sympy functions and
constants of two edges but not the torch functions its forward pass calls; here the edges
are exchanged whole.
"""
from __future__ import annotations

import numbers
from abc import ABCMeta

import torch
from torch import Tensor

from kanlab.nn._symbolic_edges import NO_FUNCTION, SymbolicEdges
from kanlab.pykan._fit_params import A_RANGE as _A_RANGE
from kanlab.pykan._legacy import available_device
from kanlab.pykan._symbolic_rows import rows
from kanlab.pykan._views import SymbolicView
from kanlab.pykan import utils as _utils

# the layer and the names pykan's module imports from utils (``from kan.Symbolic_KANLayer
# import *``), read through to kanlab.pykan.utils by __getattr__ below
__all__ = ["Symbolic_KANLayer", *_utils.__all__]


def __getattr__(name: str):
    if name in _utils.__all__:
        return getattr(_utils, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _size(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


class Symbolic_KANLayer(SymbolicEdges, metaclass=ABCMeta):
    """pykan's ``Symbolic_KANLayer``: edge ``i -> j`` computes ``mask[j, i] · (c · f(a · x_i
    + b) + d)`` with ``affine[j, i] = (a, b, c, d)``.

    ``forward(x, singularity_avoiding=False, y_th=10.)`` returns ``(y, postacts)``: ``y``
    ``(batch, out_dim)`` and ``postacts`` ``(batch, out_dim, in_dim)``.

    Examples
    --------
    >>> sb = Symbolic_KANLayer(in_dim=3, out_dim=2)
    >>> sb.fix_symbolic(2, 1, 'sin')
    >>> sb.funs_name
    [['0', '0', '0'], ['0', '0', 'sin']]
    """

    def __init__(self, in_dim=3, out_dim=2, device="cpu"):
        in_dim, out_dim = _size("in_dim", in_dim), _size("out_dim", out_dim)
        super().__init__(in_dim, out_dim, device=available_device(device))
        self.affine.requires_grad_(True)

    in_dim = property(lambda self: self.in_features)
    out_dim = property(lambda self: self.out_features)

    @property
    def device(self) -> torch.device:
        return self.affine.device

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # pykan's layer keeps its functions in Python lists, out of its state_dict (``mask``
        # and ``affine`` only): loading one keeps this layer's functions, as pykan's load does
        if prefix + "code" not in state_dict and prefix + "affine" in state_dict:
            state_dict = {**state_dict, prefix + "code": self.code}
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def regroup(self) -> None:
        """Every edge with a function, grouped by function, whatever its mask (the mask
        multiplies it in :meth:`forward`); ``affine`` stays trainable, as pykan's."""
        groups: dict[int, tuple[object, list[int], list[int]]] = {}
        self._domains, self._avoiding = {}, {}
        for j, row in enumerate(self.code.cpu().tolist()):
            for i, c in enumerate(row):
                if c != NO_FUNCTION:
                    candidate = self.candidate_at(i, j, c)
                    self._domains[id(candidate.fn)] = getattr(candidate, "domain", None)
                    self._avoiding[id(candidate.fn)] = getattr(candidate, "avoiding", None)
                    entry = groups.setdefault(id(candidate.fn), (candidate.fn, [], []))
                    entry[1].append(j)
                    entry[2].append(i)
        self._groups = list(groups.values())

    def forward(self, x: Tensor, singularity_avoiding: bool = False, y_th: float = 10.0):
        if not isinstance(x, Tensor):
            raise TypeError(f"Symbolic_KANLayer expects a torch.Tensor, got {type(x).__name__}")
        if x.dim() != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"Symbolic_KANLayer expects input of shape (batch, {self.in_dim}), "
                             f"got {tuple(x.shape)}")
        x = x.to(self.affine.dtype)
        edges = x.new_zeros(self.out_dim, self.in_dim, x.shape[0])  # (out, in, B)
        self.y_th = float(y_th) if singularity_avoiding else None
        try:
            for fn, outs, ins in self._groups:
                values = self.edge_values(x, outs, ins, fn)  # (B, E)
                where = (torch.tensor(outs, device=x.device), torch.tensor(ins, device=x.device))
                edges = edges.index_put(where, values.t())
        finally:
            self.y_th = None
        # an edge without a function is pykan's zero function: c · 0 + d
        blank = (self.code == NO_FUNCTION).to(self.affine.dtype) * self.affine[..., 3]
        postacts = (edges.permute(2, 0, 1) + blank) * self.mask  # (B, out, in)
        return postacts.sum(-1), postacts

    # ------------------------------------------------------------------ pykan's tables
    # pykan's per-edge lists [j][i], shared with a model's symbolic_fun[l]
    # (kanlab.pykan._symbolic_rows): an assignment to an entry writes the edge; '0' and the
    # zero function where an edge has none
    funs_name = property(lambda self: rows(self, "funs_name"))
    funs = property(lambda self: rows(self, "funs"))
    funs_sympy = property(lambda self: rows(self, "funs_sympy"))
    funs_avoid_singularity = property(lambda self: rows(self, "funs_avoid_singularity"))

    # ------------------------------------------------------------------ editing
    def _edge(self, i, j) -> tuple[int, int]:
        for name, v, size in (("i", i, self.in_dim), ("j", j, self.out_dim)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 0 <= v < size:
                raise ValueError(f"{name} must be an int in [0, {size}), got {v!r}")
        return int(i), int(j)

    @torch.no_grad()
    def fix_symbolic(self, i, j, fun_name, x=None, y=None, random=False, a_range=_A_RANGE,
                     b_range=(-10, 10), verbose=True):
        """Set edge ``i -> j`` to ``fun_name`` (a name of ``SYMBOLIC_LIB`` or a torch
        function, then named ``'anonymous'``).  Without ``x`` and ``y`` its ``(a, b, c, d)``
        become ``(1, 0, 1, 0)`` (``random``: each ``U(-1, 1)`` from torch's global generator)
        and None is returned; with them (a name only) they are fitted to ``y ≈ c · f(a · x +
        b) + d`` and R² is returned (a tensor; printed with ``verbose``)."""
        from kanlab.pykan._symbolic_names import _candidate_from_callable, _name
        i, j = self._edge(i, j)
        named = isinstance(fun_name, str)
        if not named and not callable(fun_name):
            raise TypeError(f"fun_name must be a name or a function, got {type(fun_name).__name__}")
        candidate = _name(fun_name) if named else _candidate_from_callable("anonymous", fun_name)
        r2 = None
        if x is None or y is None or not named:
            params = ((torch.rand(4, device="cpu") * 2 - 1).tolist() if random
                      else [1.0, 0.0, 1.0, 0.0])
        else:
            from kanlab.pykan._fit_params import fit_edge  # one-valued x: pykan's constant
            params, r2 = fit_edge(x, y, candidate, a_range=a_range, b_range=b_range)
            params, r2 = list(params), torch.tensor(r2, device=self.affine.device)
            if verbose:
                print(f"r2 is {float(r2)}")
        mask = self.mask[j, i].clone()
        self.set_edge(i, j, candidate, params)
        self.mask[j, i] = mask  # the mask stays the user's (pykan's)
        return r2

    @torch.no_grad()
    def get_subset(self, in_id, out_id) -> "Symbolic_KANLayer":
        """A new layer of the inputs ``in_id`` and outputs ``out_id`` (pruning)."""
        in_id = [self._edge(i, 0)[0] for i in in_id]
        out_id = [self._edge(0, j)[1] for j in out_id]
        if not in_id or not out_id:
            raise ValueError("in_id and out_id must be non-empty")
        sub = Symbolic_KANLayer(len(in_id), len(out_id), device=self.device)
        sub.to(self.affine.dtype)
        grid = torch.meshgrid(torch.tensor(out_id, device=self.mask.device),
                              torch.tensor(in_id, device=self.mask.device), indexing="ij")
        sub.mask.copy_(self.mask[grid])
        sub.code.copy_(self.code[grid])
        sub.affine.copy_(self.affine[grid])
        sub.custom = {(a, b): self.custom[(i, j)] for a, i in enumerate(in_id)
                      for b, j in enumerate(out_id) if (i, j) in self.custom}
        sub.regroup()
        return sub

    @torch.no_grad()
    def swap(self, i1, i2, mode="in") -> None:
        """Exchange inputs (``mode='in'``) or outputs (``'out'``) ``i1`` and ``i2``."""
        if mode not in ("in", "out"):
            raise ValueError(f"mode must be 'in' or 'out', got {mode!r}")
        if mode == "in":
            i1, i2 = self._edge(i1, 0)[0], self._edge(i2, 0)[0]
        else:
            i1, i2 = self._edge(0, i1)[1], self._edge(0, i2)[1]
        dim = 1 if mode == "in" else 0
        perm = list(range(self.mask.shape[dim]))
        perm[i1], perm[i2] = perm[i2], perm[i1]
        idx = torch.tensor(perm, device=self.mask.device)
        for t in (self.mask, self.code, self.affine.data):
            t.copy_(t.index_select(dim, idx))
        moved = {i1: i2, i2: i1}
        self.custom = {((moved.get(i, i), j) if mode == "in" else (i, moved.get(j, j))): c
                       for (i, j), c in self.custom.items()}
        self.regroup()


# a model's symbolic_fun[l] (kanlab.pykan._views.SymbolicView) is a Symbolic_KANLayer to
# isinstance, as pykan's is (kanlab.pykan._view_modules)
Symbolic_KANLayer.register(SymbolicView)
