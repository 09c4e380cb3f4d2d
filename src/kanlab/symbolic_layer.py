"""SymbolicEdges: the formula branch of a KAN layer.

An edge ``(i -> j)`` fixed to a symbolic function computes
``c · f(a · x_i + b) + d`` (the KAN paper's affine-wrapped symbolic
function) instead of its spline; ``a, b, c, d`` stay trainable so ``fit`` can
polish them.  A :class:`~kanlab.network.KAN` holds one ``SymbolicEdges`` per
layer next to its :class:`~kanlab.layer.KANLayer`; fixing an edge sets its
spline mask to 0 and its symbolic mask to 1, so each edge is computed by
exactly one of the two branches (both masks 0: the edge is removed).

Function names refer to :data:`kanlab.symbolic_lib.LIBRARY` or to
candidates a user passed in; the names travel in ``state_dict`` as the
module's extra state, the constants as the ``affine`` parameter.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["SymbolicEdges"]


class SymbolicEdges(nn.Module):
    """Symbolic functions on some edges of an ``in_features -> out_features`` layer.

    Attributes:
        mask: buffer ``(out_features, in_features)``; 1 where the edge is symbolic.
        affine: ``(out_features, in_features, 4)``: ``a, b, c, d`` of every edge.
        names: ``names[j][i]`` is the function name of edge ``i -> j`` (``None``
            where the edge is not symbolic).

    Shape:
        - Input: ``(B, in_features)``.
        - Output: ``(B, out_features)``, the sum over the symbolic edges.
    """

    in_features: int
    out_features: int

    def __init__(self, in_features: int, out_features: int, *, device=None, dtype=None) -> None:
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.in_features, self.out_features = in_features, out_features
        self.register_buffer("mask", torch.zeros(out_features, in_features, **factory_kwargs))
        self.affine = nn.Parameter(torch.zeros(out_features, in_features, 4, **factory_kwargs))
        self.names: list[list[str | None]] = [[None] * in_features for _ in range(out_features)]
        self.custom: dict = {}  # user candidates by name, beyond the built-in library
        self._groups: list[tuple[object, list[int], list[int]]] = []

    @property
    def active(self) -> bool:
        """Whether any edge is symbolic (the forward pass skips this branch otherwise)."""
        return bool(self._groups)

    def candidate(self, name: str):
        """The :class:`~kanlab.symbolic_lib.Candidate` called ``name``."""
        from .symbolic_lib import LIBRARY
        if name in self.custom:
            return self.custom[name]
        if name not in LIBRARY:
            raise ValueError(f"unknown symbolic function {name!r}; register it with the candidates "
                             f"passed as lib=, or use one of {sorted(LIBRARY)}")
        return LIBRARY[name]

    @torch.no_grad()
    def set_edge(self, j: int, i: int, candidate, params) -> None:
        """Make edge ``i -> j`` compute ``c · f(a·x + b) + d`` with ``params = (a, b, c, d)``."""
        from .symbolic_lib import LIBRARY
        if candidate.name not in LIBRARY or LIBRARY[candidate.name] is not candidate:
            self.custom[candidate.name] = candidate
        self.names[j][i] = candidate.name
        self.affine[j, i] = torch.as_tensor(params, dtype=self.affine.dtype)
        self.mask[j, i] = 1.0
        self.regroup()

    @torch.no_grad()
    def clear_edge(self, j: int, i: int) -> None:
        """Edge ``i -> j`` is no longer symbolic."""
        self.names[j][i] = None
        self.mask[j, i] = 0.0
        self.regroup()

    def regroup(self) -> None:
        """Index the symbolic edges by function, so the forward pass makes one call per function."""
        by_name: dict[str, tuple[list[int], list[int]]] = {}
        mask = self.mask.detach().cpu()
        for j, row in enumerate(self.names):
            for i, name in enumerate(row):
                if name is not None and mask[j, i] != 0:
                    outs, ins = by_name.setdefault(name, ([], []))
                    outs.append(j)
                    ins.append(i)
        self._groups = [(self.candidate(n).fn, outs, ins) for n, (outs, ins) in by_name.items()]

    def edge_values(self, x: Tensor, outs: list[int], ins: list[int], fn) -> Tensor:
        """``c · f(a·x_i + b) + d`` for the edges ``(outs[e], ins[e])``: ``(B, E)``."""
        a, b, c, d = self.affine[outs, ins].unbind(-1)  # each (E,)
        return c * fn(a * x[:, ins] + b) + d

    def forward(self, x: Tensor) -> Tensor:
        y = x.new_zeros(x.shape[0], self.out_features)
        for fn, outs, ins in self._groups:
            values = self.edge_values(x, outs, ins, fn)  # (B, E)
            y = y.index_add(1, torch.tensor(outs, device=x.device), values)
        return y

    def get_extra_state(self) -> dict:
        return {"names": [list(row) for row in self.names]}

    def set_extra_state(self, state) -> None:
        names = state["names"] if isinstance(state, dict) else None
        if (not isinstance(names, list) or len(names) != self.out_features
                or any(not isinstance(r, list) or len(r) != self.in_features for r in names)):
            raise ValueError(f"symbolic edge names must be a {self.out_features} x "
                             f"{self.in_features} nested list, got {names!r}")
        self.names = [list(row) for row in names]
        self.regroup()

    def _load_from_state_dict(self, *args, **kwargs):
        super()._load_from_state_dict(*args, **kwargs)
        self.regroup()  # the mask may have changed after the names were set

    def extra_repr(self) -> str:
        n = int(self.mask.count_nonzero()) if not self.mask.is_meta else 0
        return f"in_features={self.in_features}, out_features={self.out_features}, symbolic_edges={n}"
