"""pykan's layers among ``model.modules()``: the views ``act_fun[l]`` and ``symbolic_fun[l]``.

pykan's model keeps its layers in ``nn.ModuleList`` s, so user code finds them by walking
the module tree (``[m for m in model.modules() if isinstance(m, KANLayer)]``, then an L1
term on ``m.coef`` in pykan's ``(in, out, G + k)`` layout).  kanlab.pykan computes with
kanlab's layers (``layers.<l>``, ``symbolic.<l>``); ``named_modules`` yields those, as
torch does, and then the model's views of them under pykan's names (``act_fun.<l>``,
``symbolic_fun.<l>``), which pass ``isinstance`` for :class:`kanlab.pykan.KANLayer` /
:class:`kanlab.pykan.Symbolic_KANLayer`.  A view's tensors are the layer's, permuted
(gradients reach the layer's parameters); it has no parameter or buffer of its own, so
``parameters()``, ``named_parameters()`` and ``state_dict()`` are unchanged, and nothing
adds to the forward pass, which never calls a view.

The views are made once and kept while the model's layers (and its ``grid_eps``, a
view's default) stay the same objects: ``model.act_fun[0] is model.act_fun[0]`` as in
pykan, and a training loop's ``model.parameters()`` every step builds no module.  So are
the lists ``model.act_fun`` / ``model.symbolic_fun`` (:class:`~kanlab.pykan._views.LayerViews`,
``nn.ModuleList`` s as pykan's, not registered: ``model.get_submodule("act_fun.0")`` finds a
view, the state_dict keys stay kanlab's).  Each view enters the model's ``edit_structure``
when it hands out a handle onto the structure (:mod:`kanlab.nn._structure_edits`).
"""
from __future__ import annotations

from kanlab.pykan._layer_assign import assign_spline, assign_symbolic
from kanlab.pykan._views import LayerViews, SplineView, SymbolicView

__all__ = ["ViewedModules"]

_CACHE = "_pykan_view_lists"  # the model's __dict__ entry: (key, act_fun, symbolic_fun)


class ViewedModules:
    """Mixin for :class:`kanlab.pykan.KAN`: its layer views, kept, and among its modules."""

    def view_lists(self) -> tuple[LayerViews, LayerViews]:
        """``(model.act_fun, model.symbolic_fun)``: one view per layer in pykan's ModuleLists,
        rebuilt only when a layer object or the model's ``grid_eps`` changes."""
        key = (tuple(self.layers), tuple(self.symbolic), self.grid_eps)
        cached = self.__dict__.get(_CACHE)
        if cached is None or cached[0] != key:
            edit = self.edit_structure  # kanlab.nn._structure_edits
            splines = [SplineView(layer, self.grid_eps, edit) for layer in key[0]]
            symbolic = [SymbolicView(sym, edit) for sym in key[1]]
            cached = (key, LayerViews(splines, assign_spline, edit),
                      LayerViews(symbolic, assign_symbolic, edit))
            self.__dict__[_CACHE] = cached  # not an attribute set: the fused plan stays
        return cached[1], cached[2]

    def view_of(self, module) -> SplineView | SymbolicView:
        """The kept view of one of the model's layers (``layers[l]`` or ``symbolic[l]``)."""
        splines, symbolic = self.view_lists()
        for view in (*splines, *symbolic):
            if view.viewed is module:
                return view
        raise ValueError(f"{type(module).__name__} is not one of this model's layers")

    def named_children(self):
        """pykan's ``act_fun`` and ``symbolic_fun`` lists, as pykan's model lists them, then
        torch's children (``layers``, ``symbolic``): ``for name, child in
        model.named_children()`` meets pykan's ``ModuleList`` s.

        torch's ``to``/``train`` then reach a layer twice, through its view and through
        ``layers``; both are idempotent.  ``apply`` visits each module once (below).  The
        views come first so that a walk that names each module by the last path it meets it
        on (``torch.jit.trace``'s) names a layer by ``layers.<l>``, the path its forward pass
        runs under."""
        splines, symbolic = self.view_lists()
        yield "act_fun", splines
        yield "symbolic_fun", symbolic
        yield from super().named_children()

    def apply(self, fn):
        """torch's ``apply`` (``fn`` on every child's modules, then on the model), with ``fn``
        also on each layer view (``act_fun[l]``, ``symbolic_fun[l]``) before the model: an
        ``init`` that tests ``isinstance(m, KANLayer)`` meets pykan's layers (the views' own
        child, the layer, is visited once, through ``layers``)."""
        for _, module in super().named_children():
            module.apply(fn)
        splines, symbolic = self.view_lists()
        for view in (*splines, *symbolic):
            fn(view)
        fn(self)
        return self

    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """torch's modules, then pykan's layer views ``act_fun.<l>`` and ``symbolic_fun.<l>``
        (see the module docs; a view's own child, the layer, is not yielded twice)."""
        if memo is None:
            memo = set()
        repeated = remove_duplicate and self in memo
        yield from super().named_modules(memo, prefix, remove_duplicate)
        if repeated:  # torch yields a module once; its views go with it
            return
        splines, symbolic = self.view_lists()
        dot = prefix + "." if prefix else ""
        for part, views in (("act_fun", splines), ("symbolic_fun", symbolic)):
            for l, view in enumerate(views):
                if remove_duplicate:
                    memo.add(view)
                yield f"{dot}{part}.{l}", view
