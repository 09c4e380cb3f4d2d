"""SymbolicEdges: the formula branch of a KAN layer.

An edge ``(i -> j)`` fixed to a symbolic function computes
``c · f(a · x_i + b) + d`` (the KAN paper's affine-wrapped symbolic
function) instead of its spline; ``a, b, c, d`` stay trainable so ``fit`` can
polish them.  A :class:`~kanlab.nn._network.KAN` holds one ``SymbolicEdges`` per
layer next to its :class:`~kanlab.nn._layer.KANLayer`; fixing an edge sets its
spline mask to 0 and its symbolic mask to 1, so each edge is computed by
exactly one of the two branches (both masks 0: the edge is removed).

The state is tensors only, so ``state_dict`` works like any module's: the
constants are the ``affine`` parameter and each edge's function is an
integer ``code`` into :data:`kanlab.symbolic._library.CODES` (``-1``: none;
``-2``: a user candidate, which lives in this module and travels in the
``state_dict``'s metadata: :mod:`kanlab.nn._carried_functions`).

*Singularity avoidance* (pykan's ``singularity_avoiding``): with
:attr:`SymbolicEdges.y_th` set, an edge whose ``f`` is non-finite or larger
than ``y_th`` in magnitude on a sample (``1/x`` near 0, ``arctanh`` at or beyond
±1, ``log`` at 0) outputs ``c · (±y_th) + d`` there instead (outside an
interval domain ``c · f(nearest end) + d`` where that is finite: :func:`capped`),
with no gradient from that sample, so training with ``fit`` can pass through an argument range
where ``f`` blows up instead of stopping on a non-finite loss.  On a half-line domain
whose end value is finite (``sqrt``, ``x^1.5``) the edge continues through the end by
point reflection (``sqrt(u)`` becomes ``−sqrt(−u)`` for ``u < 0``), with its gradient,
so an argument that a step pushed past the end is pulled back by the next one (a fit whose
optimum puts the argument's minimum at the end, ``sqrt(x² + y²)``, otherwise strands
samples on a flat stand-in).  A candidate with its own protected form
(:attr:`kanlab.symbolic.Candidate.avoiding`, pykan's ``fun_singularity``) is evaluated by
that form instead.  ``None`` (the default) evaluates ``f`` exactly.
"""
from __future__ import annotations

from typing import Iterator

import torch
from torch import Tensor, nn

from kanlab._compat import index_tensor, recording_graph
from kanlab.nn import _carried_functions as carried
from kanlab.nn._scripting import NotScriptable
from kanlab.nn._stamp import Stamped

__all__ = ["SymbolicEdges", "NO_FUNCTION", "CUSTOM_FUNCTION"]

NO_FUNCTION, CUSTOM_FUNCTION = -1, -2
MOVED_KEY = "moved_symbolic_offsets"  # state_dict metadata: SymbolicEdges.moved_offsets


def capped(fn, u: Tensor, y_th: float, domain=None) -> Tensor:
    """``fn(u)`` where it is finite and at most ``y_th`` in magnitude, else a bounded stand-in.

    The stand-in, per sample: with an interval ``domain`` (``lo``/``hi``
    attributes, e.g. :class:`kanlab.symbolic._library.Interval`) an argument
    outside it takes ``fn`` at the nearest end (``arcsin`` beyond 1 is ``π/2``), so the
    edge stays continuous where its function merely stops being defined; below a
    half-line domain ``(lo, ∞)`` whose end value is finite the edge instead continues by
    point reflection, ``2·f(lo) − f(2·lo − u)`` (``sqrt(u)`` is ``−sqrt(−u)`` for ``u < 0``),
    which keeps its gradient, as pykan's own ``sqrt`` stand-in does; a value still
    non-finite or beyond ``y_th`` there (``log(0)``, ``arctanh(±1)``, ``1/x`` near
    0) becomes ``±y_th``.  The stand-ins get no gradient: ``fn`` is evaluated
    there at a harmless argument (another sample's, where ``fn`` is fine), so a
    NaN or infinite derivative at the singularity cannot leak into the gradient.
    """
    lo, hi = getattr(domain, "lo", None), getattr(domain, "hi", None)
    with torch.no_grad():
        v = fn(u)
        bad = ~torch.isfinite(v) | (v.abs() > y_th)
        if lo is not None:  # an open end is outside too: sqrt'(0) is infinite
            outside = (u >= hi) | ((u < lo) if getattr(domain, "closed_lo", False) else (u <= lo))
            bad = bad | outside
    if not recording_graph() and not bool(bad.any()):  # (traced: no branch)
        return fn(u)  # outside no_grad: the common case keeps its gradient
    with torch.no_grad():
        if lo is not None:
            v = torch.where(outside, fn(u.clamp(lo, hi)), v)
        sign = torch.where(torch.isnan(v), torch.sign(u), torch.sign(v))
        sign = torch.where(sign == 0, 1.0, sign)
        stand_in = torch.where(torch.isfinite(v) & (v.abs() <= y_th), v, sign * y_th)
        good = ~bad
        # per column (edge) one argument where fn is fine; 0.5 if there is none
        first = torch.where(good.any(0), good.float().argmax(0), 0)
        fallback = torch.where(good.any(0), u.gather(0, first.unsqueeze(0))[0],
                               torch.full_like(u[0], 0.5))
        mirror = None if lo is None else _reflected(fn, u, y_th, lo, hi, outside)
        if mirror is not None:
            stand_in = torch.where(mirror[2], mirror[3], stand_in)
    safe_u = torch.where(bad, fallback.expand_as(u), u)
    out = torch.where(bad, stand_in, fn(safe_u))
    if mirror is None:
        return out
    take, end = mirror[:2]  # f's point reflection through (lo, f(lo)), with its gradient
    safe_m = torch.where(take, 2 * lo - u, fallback.expand_as(u))
    return torch.where(take, 2 * end - fn(safe_m), out)


def _reflected(fn, u: Tensor, y_th: float, lo: float, hi: float, outside: Tensor):
    """Where ``capped`` continues ``fn`` below a half-line domain ``(lo, ∞)`` by point
    reflection through its end, ``2·f(lo) − f(2·lo − u)``: ``(samples, f(lo), samples whose
    reflection exceeds y_th, their stand-in ±y_th)``, or None when the domain is bounded
    above.  Where ``f(lo)`` is not finite (``log``, ``1/sqrt``) no sample is reflected: the
    cap stands.  No branch on values, so the same graph is traced."""
    if not (hi == float("inf") and abs(lo) < float("inf")):
        return None
    end = fn(torch.full((), lo, dtype=u.dtype, device=u.device))
    end_ok = torch.isfinite(end)
    end = torch.where(end_ok, end, torch.zeros_like(end))
    arg = 2 * lo - u
    mirrored = 2 * end - fn(arg)
    reach = outside & (arg > lo) & end_ok
    take = reach & torch.isfinite(mirrored) & (mirrored.abs() <= y_th)
    if not recording_graph() and not bool(reach.any()):
        return None
    # beyond y_th the reflection is capped like the function itself
    beyond = torch.nan_to_num(mirrored, nan=-y_th).clamp(-y_th, y_th)
    return take, end, reach & ~take, beyond


class SymbolicEdges(NotScriptable, Stamped, nn.Module):
    """Symbolic functions on some edges of an ``in_features -> out_features`` layer.

    Attributes
    ----------
    mask
        buffer ``(out_features, in_features)``; 1 where the edge is symbolic.
    code
        buffer ``(out_features, in_features)`` of int64, the function of
        every edge as an index into :data:`kanlab.symbolic._library.CODES`.
    affine
        ``(out_features, in_features, 4)``: ``a, b, c, d`` of every edge.
    moved_offsets
        ``{(j, i): offset}``: what an L-BFGS fit moved out of edge ``i -> j``'s ``d``
        into the arguments of the next layer's symbolic edges, to be handed back before
        an edit (:mod:`kanlab.nn._symbolic_offsets`); empty when nothing moved.

    Shape
    -----
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
        self.register_buffer("code", torch.full((out_features, in_features), NO_FUNCTION,
                                                dtype=torch.int64, device=device))
        # trainable only while some edge is symbolic (see regroup): an unused parameter
        # would trip torch.autograd.grad over model.parameters() and DistributedDataParallel
        self.affine = nn.Parameter(torch.zeros(out_features, in_features, 4, **factory_kwargs),
                                   requires_grad=False)
        self.custom: dict[tuple[int, int], object] = {}  # user candidates by edge (i, j)
        self._groups: list[tuple[object, list[int], list[int]]] = []
        self.y_th: float | None = None  # singularity avoidance: cap |f| at y_th (None: off)
        self.moved_offsets: dict[tuple[int, int], float] = {}

    @property
    def active(self) -> bool:
        """Whether any edge is symbolic (the forward pass skips this branch otherwise).

        A mask edited in place (pykan's ``symbolic_fun[l].mask.data[j, i] = 0``, which no
        version counter sees) is picked up here, before the forward pass: an edge that has a
        function is on where its mask is non-zero."""
        self._follow_mask()
        return bool(self._groups)

    def _follow_mask(self) -> None:
        # compared where the mask lives (no host copy)
        seen = getattr(self, "_mask_seen", None)
        if getattr(self, "_coded", False) and not torch.compiler.is_compiling() and (
                seen is None or seen.device != self.mask.device
                or not torch.equal(self.mask.detach(), seen)):
            self.regroup()

    @property
    def names(self) -> list[list[str | None]]:
        """``names[j][i]``: the function name of edge ``i -> j`` (``None`` where it has none)."""
        return [[self.candidate_at(i, j, c).name if c != NO_FUNCTION else None
                 for i, c in enumerate(row)] for j, row in enumerate(self.code.tolist())]

    def candidate_at(self, i: int, j: int, code: int | None = None):
        """The :class:`~kanlab.symbolic._library.Candidate` of edge ``i -> j`` (its ``code`` if given)."""
        code = int(self.code[j, i]) if code is None else code
        from kanlab.symbolic._library import CODES, LIBRARY
        if code == CUSTOM_FUNCTION:
            if (i, j) not in self.custom:
                raise ValueError(f"edge {i} -> {j} holds a user-defined symbolic function that "
                                 "this model does not know (it cannot be restored from a "
                                 "state_dict); fix_symbolic it again")
            return self.custom[(i, j)]
        if not 0 <= code < len(CODES):
            raise ValueError(f"edge {i} -> {j} has symbolic function code {code}; this kanlab "
                             f"knows codes 0..{len(CODES) - 1} (a newer kanlab wrote it?)")
        return LIBRARY.get(CODES[code]) or _builtin(CODES[code])

    @torch.no_grad()
    def set_edge(self, i: int, j: int, candidate, params) -> None:
        """Make edge ``i -> j`` compute ``c · f(a·x + b) + d`` with ``params = (a, b, c, d)``."""
        from kanlab.symbolic._library import CODES, LIBRARY
        builtin = candidate.name in CODES and LIBRARY.get(candidate.name) is candidate
        self.custom.pop((i, j), None)
        if not builtin:
            self.custom[(i, j)] = candidate
        self.code[j, i] = CODES.index(candidate.name) if builtin else CUSTOM_FUNCTION
        self.affine[j, i] = torch.as_tensor(params, dtype=self.affine.dtype,
                                            device=self.affine.device)
        self.mask[j, i] = 1.0
        self.regroup()

    @torch.no_grad()
    def clear_edge(self, i: int, j: int) -> None:
        """Edge ``i -> j`` is no longer symbolic."""
        self.custom.pop((i, j), None)
        self.code[j, i] = NO_FUNCTION
        self.mask[j, i] = 0.0
        self.regroup()

    def regroup(self) -> None:
        """Index the symbolic edges by function, so the forward pass makes one call per function."""
        by_fn: dict[int, tuple[object, list[int], list[int]]] = {}
        self._domains: dict[int, object] = {}  # id(fn) -> the candidate's domain (capped)
        self._avoiding: dict[int, object] = {}  # id(fn) -> the candidate's own protected form
        mask, code = self.mask.detach().cpu(), self.code.cpu().tolist()
        for j, row in enumerate(code):
            for i, c in enumerate(row):
                if c != NO_FUNCTION and mask[j, i] != 0:
                    candidate = self.candidate_at(i, j, c)
                    fn = candidate.fn
                    self._domains[id(fn)] = getattr(candidate, "domain", None)
                    self._avoiding[id(fn)] = getattr(candidate, "avoiding", None)
                    by_fn.setdefault(id(fn), (fn, [], []))
                    by_fn[id(fn)][1].append(j)
                    by_fn[id(fn)][2].append(i)
        self._groups = list(by_fn.values())
        self._mask_seen = self.mask.detach().clone()  # what `active` compares the mask with
        self._coded = any(c != NO_FUNCTION for row in code for c in row)
        self.affine.requires_grad_(bool(self._groups))

    def edge_values(self, x: Tensor, outs: list[int], ins: list[int], fn) -> Tensor:
        """``c · f(a·x_i + b) + d`` for the edges ``(outs[e], ins[e])``: ``(B, E)``."""
        a, b, c, d = self.affine[outs, ins].unbind(-1)  # each (E,)
        u = a * x[:, ins] + b
        y_th = getattr(self, "y_th", None)
        if y_th is None:
            return c * fn(u) + d
        own = getattr(self, "_avoiding", {}).get(id(fn))
        if own is not None:
            return c * own(u, y_th) + d
        return c * capped(fn, u, y_th, getattr(self, "_domains", {}).get(id(fn))) + d

    def edge_outputs(self, x: Tensor, *, mask_checked: bool = False
                     ) -> Iterator[tuple[list[int], list[int], Tensor]]:
        """The symbolic edges' outputs on ``x`` ``(B, in_features)``, one call per function.

        ``mask_checked=True`` skips the comparison of the mask with the last one seen, for a
        caller that has just read :attr:`active` (on a GPU each comparison waits for the
        device).

        Yields
        ------
        outs, ins : list of int
            The edges ``(outs[e], ins[e])`` sharing one function.
        values : Tensor, shape (B, E)
            Their outputs ``c · f(a·x_i + b) + d``.
        """
        if not mask_checked:
            self._follow_mask()
        for fn, outs, ins in self._groups:
            yield outs, ins, self.edge_values(x, outs, ins, fn)

    def dense_outputs(self, x: Tensor) -> Tensor:
        """Every edge's output on ``x`` ``(B, in_features)``: ``(B, out_features, in_features)``,
        0 where an edge has no symbolic function (as :meth:`KANLayer.edge_values` lays out the
        splines')."""
        values_all = x.new_zeros(x.shape[0], self.out_features, self.in_features)
        for outs, ins, values in self.edge_outputs(x):  # values (B, E)
            values_all[:, index_tensor(outs, x.device), index_tensor(ins, x.device)] = values
        return values_all

    def forward(self, x: Tensor, *, mask_checked: bool = False) -> Tensor:
        """The symbolic edges summed into the outputs ``(B, out_features)`` (``mask_checked``:
        as in :meth:`edge_outputs`)."""
        y = x.new_zeros(x.shape[0], self.out_features)
        for outs, _, values in self.edge_outputs(x, mask_checked=mask_checked):
            y = y.index_add(1, index_tensor(outs, x.device), values)
        return y

    def __getstate__(self) -> dict:
        """Pickle support (``torch.save(model)``, ``copy.deepcopy``): the per-function groups
        hold the candidates' torch functions, some of them lambdas, so they are rebuilt on
        unpickling instead of stored; a user candidate registered in the library is stored
        by name."""
        from kanlab.symbolic._library import LIBRARY
        state = self.__dict__.copy()
        state["_groups"] = []
        # by name where registered; else the candidate, by name only where its function
        # cannot be pickled (a lambda: kanlab.nn._carried_functions)
        state["custom"] = {key: (carried.ByName(c.name) if LIBRARY.get(c.name) is c
                                 else carried.Held(c)) for key, c in self.custom.items()}
        return state

    def __setstate__(self, state: dict) -> None:
        custom = state.get("custom", {})
        for key, c in list(custom.items()):
            if isinstance(c, _ByName):  # pickled by an earlier kanlab
                c = carried.ByName(c.name)
            custom[key] = carried.resolve(key, c)
        state.setdefault("moved_offsets", {})  # pickled before offsets were recorded
        self.__dict__.update(state)
        self.regroup()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """torch's ``state_dict``; the user candidates of this module's edges travel in its
        metadata (:mod:`kanlab.nn._carried_functions`), and so do the recorded moved offsets
        (:attr:`moved_offsets`); the keys are torch's."""
        out = super().state_dict(*args, destination=destination, prefix=prefix,
                                 keep_vars=keep_vars)
        meta = getattr(out, "_metadata", None)
        if self.custom and meta is not None:
            meta.setdefault(prefix[:-1], {})[carried.KEY] = carried.carry(self.custom)
        if self.moved_offsets and meta is not None:
            meta.setdefault(prefix[:-1], {})[MOVED_KEY] = {
                f"{j},{i}": d for (j, i), d in self.moved_offsets.items()}
        return out

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
        # user candidates: kept where the edge still holds one, else the carried ones
        self.custom = {key: c for key, c in self.custom.items()
                       if int(self.code[key[1], key[0]]) == CUSTOM_FUNCTION}
        problems = carried.restore((local_metadata or {}).get(carried.KEY, {}), self.code,
                                   self.custom, CUSTOM_FUNCTION)
        # (torch passes strict=True here whatever the caller asked: always an error)
        error_msgs.extend(f"{prefix}code: {p}" for p in problems)
        with torch.no_grad():  # not restored: the edge holds no function (torch raises after)
            for j, row in enumerate(self.code.tolist()):
                for i, code in enumerate(row):
                    if code == CUSTOM_FUNCTION and (i, j) not in self.custom:
                        self.code[j, i], self.mask[j, i] = NO_FUNCTION, 0.0
        self.regroup()  # codes and mask may have changed
        # the moved offsets of the state loaded, or none: a state without them (a pykan
        # one, a copy of the tensors only) is taken as its parameters say
        moved = (local_metadata or {}).get(MOVED_KEY, {})
        self.moved_offsets = {}
        for key, d in moved.items():
            j, i = (int(v) for v in key.split(","))
            if j < self.out_features and i < self.in_features:
                self.moved_offsets[(j, i)] = float(d)

    def extra_repr(self) -> str:
        n = int(self.mask.count_nonzero()) if not self.mask.is_meta else 0
        return f"in_features={self.in_features}, out_features={self.out_features}, symbolic_edges={n}"


class _ByName:
    """A registered candidate in a pickle by an earlier kanlab, by its library name."""

    def __init__(self, name: str) -> None:
        self.name = name


def _builtin(name: str):
    """A built-in candidate that a user replaced in LIBRARY via ``register(overwrite=True)``."""
    from kanlab.symbolic._library import _BUILTINS
    return next(c for c in _BUILTINS if c.name == name)
