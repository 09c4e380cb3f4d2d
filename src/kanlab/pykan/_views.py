"""pykan's names for a layer's data (``act_fun[l]``, ``symbolic_fun[l]``), as views.

pykan lays a spline layer out ``(in, out, ...)``; kanlab ``(out, in, ...)``.
The views hand out pykan's layout.  Writing in place (``act_fun[l].mask.data[i, j] = 0``,
``coef.data *= 2``) changes the model's tensors, which the views share; replacing a tensor
whole (``act_fun[l].mask.data = new``, pykan users' ``coef.data = curve2coef(...)``) copies
``new`` into the model's tensor (:class:`Window`; same shape only).  Or assign a whole layer:
``model.act_fun[l] = KANLayer(...)``, :mod:`kanlab.pykan._layer_assign`.

A handle onto the symbolic structure (a symbolic view's ``mask``, ``affine`` and per-edge
lists, a spline view's ``mask``) and a layer assignment are an edit's start: they enter
the model's ``edit_structure()``, which hands the symbolic offsets an L-BFGS fit moved back
first (:mod:`kanlab.nn._structure_edits` says what this covers and what not).
"""
from __future__ import annotations

import contextlib
from typing import Callable

import torch
from torch import Tensor, nn

from kanlab.pykan._symbolic_rows import rows
from kanlab.pykan._view_state import SplineViewState, SymbolicViewState

__all__ = ["LayerViews", "SPLINE_LAYOUT", "SplineView", "SymbolicView", "Window", "sparse_mask",
           "sparse_start"]

# pykan's name of a spline layer's tensor -> (kanlab's name, the permutation into pykan's
# layout, its own inverse): pykan lays a layer out (in, out, ...), kanlab (out, in, ...)
SPLINE_LAYOUT = {"grid": ("knots", (0, 1)), "coef": ("coef", (1, 0, 2)),
                 "scale_base": ("scale_base", (1, 0)), "scale_sp": ("scale_sp", (1, 0)),
                 "mask": ("mask", (1, 0))}


class Window(Tensor):
    """A model tensor seen in pykan's layout (a transpose or permutation of it, sharing its
    memory and its autograd graph) whose ``.data = new`` writes ``new`` back into the model's
    tensor, as pykan's ``.data =`` on its own parameters does.  Operations on a window give
    plain tensors; pickled or deep-copied it is a plain tensor."""

    __torch_function__ = torch._C._disabled_torch_function_impl

    @staticmethod
    def of(target: Tensor, dims: tuple[int, ...], after: Callable | None = None) -> "Window":
        """``target.permute(dims)`` as a window onto ``target`` (``dims`` its own inverse);
        ``after()`` runs once a ``.data =`` has been written (derived tables)."""
        w = target.permute(dims).as_subclass(Window)
        w._target, w._dims, w._after = target, dims, after
        return w

    @property
    def data(self) -> Tensor:
        return Tensor.data.__get__(self)

    @data.setter
    def data(self, new) -> None:
        new = torch.as_tensor(new)
        if tuple(new.shape) != tuple(self.shape):
            raise ValueError(f"the model's tensor has shape {tuple(self.shape)} in pykan's layout; "
                             f"got {tuple(new.shape)} (build a new model to change its size)")
        with torch.no_grad():
            self._target.copy_(new.permute(self._dims))
        if self._after is not None:
            self._after()

    def _plain(self) -> Tensor:
        return self.detach().as_subclass(Tensor).clone()

    def __reduce_ex__(self, protocol):
        return self._plain().__reduce_ex__(protocol)

    def __deepcopy__(self, memo) -> Tensor:
        return self._plain()


class LayerViews(nn.ModuleList):
    """``model.act_fun`` / ``model.symbolic_fun``: one view per layer, an ``nn.ModuleList`` as
    pykan's (indexing, ``len``, iteration, ``parameters()`` -- the layers' --, and
    ``model.get_submodule("act_fun.0")``).  The model does not register it, so its own
    ``parameters()`` and ``state_dict()`` keys are unchanged.

    ``views[l] = new`` calls ``assign(views[l].viewed, new, l)`` inside ``edit()`` (the
    model's ``edit_structure``), which copies ``new`` into the model's layer ``l``; the list
    itself (its length, its order) is the model's: it cannot be appended to or shortened."""

    def __init__(self, views=(), assign: Callable | None = None,
                 edit: Callable | None = None) -> None:
        super().__init__()
        for l, view in enumerate(views):
            self.add_module(str(l), view)
        self.__dict__["_assign"], self.__dict__["_edit"] = assign, edit

    def __setitem__(self, l, new) -> None:
        if isinstance(l, bool) or not isinstance(l, int):
            raise TypeError(f"a layer is assigned by its int index, got {type(l).__name__}")
        l = range(len(self))[l]  # negative indices as a list's; IndexError beyond
        if self._assign is None:
            raise TypeError("a slice of the model's layers takes no assignment: assign "
                            "model.act_fun[l] / model.symbolic_fun[l]")
        with _editing(self._edit):
            self._assign(self[l].viewed, new, l)

    def _fixed(self, *args, **kwargs):
        raise TypeError("the model's layers are its own: expand_depth, expand_width and prune "
                        "change them; act_fun[l] = ... assigns one")

    append = extend = insert = pop = __delitem__ = __iadd__ = _fixed

    def _get_name(self) -> str:
        return "ModuleList"  # as pykan's, in a repr


def _editing(edit: Callable | None):
    """``edit()`` (a model's ``edit_structure``), or nothing for a view of a layer alone."""
    return edit() if edit is not None else contextlib.nullcontext()


def _window(name: str, doc: str) -> property:
    """``act_fun[l].<name>``: the layer's tensor as a :class:`Window` in pykan's layout (the
    mask, which says which nodes a spline reads, as the start of an edit)."""
    own, dims = SPLINE_LAYOUT[name]

    def get(self) -> Window:
        if own == "mask":
            with self._editing():
                pass
        layer = self._layer
        return Window.of(getattr(layer, own), dims, layer._refresh_knots if own == "knots" else None)

    return property(get, doc=doc)


def edge_parts(layer, x: Tensor) -> tuple[Tensor, Tensor]:
    """Every edge's output (masked) and bare spline ``Σ c·B(x)`` on ``x``: ``(B, out, in)``
    each, pykan's ``postacts`` and ``postspline``."""
    postacts = layer.edge_values(x) * layer.mask.unsqueeze(0)
    bare = torch.einsum("bis,ois->boi", layer.features(x)[..., -layer.coef.shape[-1]:], layer.coef)
    return postacts, bare


def layer_outputs(layer, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """pykan's ``KANLayer`` result for the layer's output ``y`` on ``x``: ``(y, preacts,
    postacts, postspline)``, the last three ``(B, out, in)``."""
    preacts = x[:, None, :].clone().expand(x.shape[0], layer.out_features, layer.in_features)
    return (y, preacts, *edge_parts(layer, x))


class _View(nn.Module):
    """A view torch sees as a module (pykan's layers are modules: ``model.modules()`` yields
    them, :mod:`kanlab.pykan._view_modules`).  The viewed module is its one child, so
    ``view.parameters()`` are that layer's; it has no parameter or buffer of its own, so a
    model's ``parameters()`` and ``state_dict()`` are unchanged.  The model never calls a
    view: its forward pass runs the viewed modules."""

    def __init__(self, viewed: nn.Module, edit: Callable | None = None) -> None:
        super().__init__()
        self.viewed = viewed
        self.__dict__["_edit"] = edit  # the model's edit_structure; None: a layer alone

    def _editing(self):
        """An edit through this view: the model's ``edit_structure()`` (the moved symbolic
        offsets handed back on entry, :mod:`kanlab.nn._structure_edits`)."""
        return _editing(self.__dict__.get("_edit"))

    @property
    def training(self) -> bool:
        """The viewed module's mode (``model.eval()`` reaches the layer, not the view)."""
        modules = self.__dict__.get("_modules")
        return True if not modules else modules["viewed"].training

    @training.setter
    def training(self, mode: bool) -> None:
        pass  # the view has no mode of its own: train(mode) sets the viewed module's

    def __call__(self, *args, **kwargs):
        # no torch hooks of its own: they go to the viewed module (register_forward_hook)
        return self.forward(*args, **kwargs)


class SplineView(SplineViewState, _View):
    """``model.act_fun[l]``: pykan's attribute names for a :class:`kanlab.nn.KANLayer`.

    Called, it returns pykan's ``(y, preacts, postacts, postspline)``; a forward hook
    registered on it sees that tuple (and the view as its module) whenever the model runs
    the layer; ``grid_eps`` set on it is the layer's own in the model's grid updates
    (pykan keeps one per layer), ``default_eps`` (the model's) until then.
    ``isinstance(view, kanlab.pykan.KANLayer)`` holds, as for pykan's ``act_fun[l]``.
    ``state_dict``, ``load_state_dict`` and ``update_grid_from_samples`` are pykan's layer's
    (:mod:`kanlab.pykan._view_state`)."""

    def __init__(self, layer, default_eps: float | None = None,
                 edit: Callable | None = None) -> None:
        super().__init__(layer, edit)
        self._default_eps = default_eps

    _layer = property(lambda self: self._modules["viewed"])

    @staticmethod
    def _layout(name: str) -> tuple[str, tuple[int, ...]]:
        """The engine layer's name for pykan's tensor ``name`` and the permutation between."""
        return SPLINE_LAYOUT[name]

    in_dim = property(lambda self: self._layer.in_features)
    out_dim = property(lambda self: self._layer.out_features)
    num = property(lambda self: self._layer.grid)
    k = property(lambda self: self._layer.k)
    grid = _window("grid", "knots ``(in, G + 2k + 1)``")
    coef = _window("coef", "``(in, out, G + k)``")
    scale_base = _window("scale_base", "``(in, out)``")
    scale_sp = _window("scale_sp", "``(in, out)``")
    mask = _window("mask", "``(in, out)``")
    base_fun = property(lambda self: self._layer.base_fun, doc="the base function b(x)")

    @property
    def grid_eps(self) -> float | None:
        """The share of uniform spacing in this layer's grid updates (pykan's per-layer
        ``grid_eps``)."""
        return self._layer.grid_eps_or(self._default_eps)  # kanlab.nn._saved_grid_eps

    @grid_eps.setter
    def grid_eps(self, value) -> None:
        if value is None:
            raise ValueError("grid_eps must be a number in [0, 1], got None")
        self._layer.grid_eps = value  # validated there

    def forward(self, x: Tensor):
        """pykan's ``(y, preacts, postacts, postspline)`` on ``x`` ``(B, in)``."""
        return layer_outputs(self._layer, x, self._layer(x))

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False, always_call: bool = False):
        """``hook(view, (x,), (y, preacts, postacts, postspline))`` after every run of the
        layer, as pykan's hooks see its ``KANLayer``; a tuple (or tensor) it returns
        replaces ``y``.  Returns torch's handle (``handle.remove()``)."""
        if with_kwargs:
            raise ValueError("with_kwargs=True: the layer is called with its input alone")

        def adapter(layer, inputs, output):
            res = hook(self, inputs, layer_outputs(layer, inputs[0], output))
            return res[0] if isinstance(res, (tuple, list)) else res
        return self._layer.register_forward_hook(adapter, prepend=prepend, always_call=always_call)

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False):
        """``hook(view, (x,))`` before every run of the layer; what it returns replaces the
        input, as in torch."""
        if with_kwargs:
            raise ValueError("with_kwargs=True: the layer is called with its input alone")
        return self._layer.register_forward_pre_hook(lambda layer, inputs: hook(self, inputs),
                                                     prepend=prepend)

    def __repr__(self) -> str:
        return f"act_fun({self._layer!r})"


class SymbolicView(SymbolicViewState, _View):
    """``model.symbolic_fun[l]``: pykan's attribute names for a :class:`kanlab.nn.SymbolicEdges`;
    ``isinstance(view, kanlab.pykan.Symbolic_KANLayer)`` holds, as in pykan; ``state_dict``,
    ``load_state_dict`` and ``get_subset`` are pykan's (:mod:`kanlab.pykan._view_state`)."""

    _sym = property(lambda self: self._modules["viewed"])

    def _edited(self):
        """The symbolic edges, handed out as an edit's start (see the module doc)."""
        with self._editing():
            return self._sym

    in_dim = property(lambda self: self._sym.in_features)
    out_dim = property(lambda self: self._sym.out_features)
    mask = property(lambda self: self._edited().mask, doc="``(out, in)``, as in pykan")
    affine = property(lambda self: self._edited().affine, doc="``(out, in, 4)``: a, b, c, d")

    # pykan's per-edge lists [j][i]; an assignment to an entry writes the edge inside the
    # model's edit (kanlab.pykan._symbolic_rows); '0' and the zero function where an edge has none
    funs_name = property(lambda self: rows(self._edited(), "funs_name", self._editing))
    funs = property(lambda self: rows(self._edited(), "funs", self._editing))
    funs_sympy = property(lambda self: rows(self._edited(), "funs_sympy", self._editing))
    funs_avoid_singularity = property(
        lambda self: rows(self._edited(), "funs_avoid_singularity", self._editing))

    def forward(self, x: Tensor):
        """pykan's ``(y, postacts)``: the outputs ``(B, out)`` and every edge's value
        ``(B, out, in)`` (zero where an edge is not symbolic)."""
        postacts = self._sym.dense_outputs(x)
        return postacts.sum(2), postacts

    def __repr__(self) -> str:
        return f"symbolic_fun({self._sym!r})"


def sparse_mask(in_dim: int, out_dim: int) -> Tensor:
    """pykan's ``sparse_init``: each output node linked to its nearest input node and back.

    Nodes are placed evenly on ``[0, 1]`` in each layer; returns ``(out, in)``.  The places
    are computed as pykan computes them (``arange(n) * 1/n + 1/(2n)`` in the default dtype),
    so that ties (an input midway between two outputs, e.g. 9 inputs and 6 outputs) go the
    same way as pykan's: in float64 the first of the two wins, in float32 rounding decides.
    """
    xin = torch.arange(in_dim, device="cpu") * 1 / in_dim + 1 / (2 * in_dim)
    xout = torch.arange(out_dim, device="cpu") * 1 / out_dim + 1 / (2 * out_dim)
    dist = (xout[:, None] - xin[None, :]).abs()  # (out, in)
    mask = torch.zeros(out_dim, in_dim, dtype=torch.float64, device="cpu")
    mask[torch.arange(out_dim, device="cpu"), dist.argmin(1)] = 1.0
    mask[dist.argmin(0), torch.arange(in_dim, device="cpu")] = 1.0
    return mask


@torch.no_grad()
def sparse_start(model) -> None:
    """pykan's ``sparse_init`` as pykan up to 0.2.4 had it (the code that printed its August
    2024 tutorials, to commit 31b2e37): the
    spline weight ``scale_sp`` of every edge off :func:`sparse_mask`'s pattern starts at 0.

    The masks stay on, so every edge trains and a spline switched off at the start can grow
    where the data need it.  pykan 0.2.5 to 0.2.8 mask those edges for good instead: a network can
    then never link inputs that start apart (docs/pykan.md, "sparse_init")."""
    for layer in model.layers:
        off = sparse_mask(layer.in_features, layer.out_features).to(layer.scale_sp) == 0
        layer.scale_sp[off] = 0.0
