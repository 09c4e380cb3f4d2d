"""Every write of a model's symbolic structure runs inside ``edit_structure`` (or is listed
here with why it needs not): kanlab.nn._structure_edits."""
from structure_edits import writes_outside_edits

# module or "module:function" -> why its writes need no edit_structure of their own
EXEMPT = {
    "kanlab.nn._symbolic_edges": "the primitives themselves (set_edge, clear_edge, loading)",
    "kanlab.nn._symbolic_offsets": "the move and its hand-back",
    "kanlab.pykan.Symbolic_KANLayer": "pykan's layer alone: no model, no records",
    "kanlab.pykan._pykan_state": "loads pykan's state into a model and empties its records",
    "kanlab.pykan.compiler": "builds a new model",
    "kanlab.nn._pruning:_copy_layer": "fills the new model of _subnetwork (a handed-back copy)",
    "kanlab.nn._pruning:_fold_offsets": "folds into the new model of _subnetwork",
    "kanlab.pykan._growth:_new_layer": "builds a new layer",
    "kanlab.pykan._growth:_grow": "runs only inside expand_width's edit",
    "kanlab.pykan._structure:_permute": "runs only inside swap's edit",
    "kanlab.pykan._layer_assign:assign_spline": "runs only inside LayerViews.__setitem__'s edit",
    "kanlab.pykan._layer_assign:assign_symbolic": "runs only inside LayerViews.__setitem__'s edit",
    "kanlab.pykan._symbolic_front:as_selecting_mask": "runs inside assign_symbolic, or loading",
    "kanlab.pykan._symbolic_rows:_write": "runs only inside EdgeRow.__setitem__'s edit",
    "kanlab.pykan._gauge:_balance_level": "runs only inside balance_symbolic_nodes's edit",
    "kanlab.pykan._views:sparse_mask": "a new tensor named mask",
    "kanlab.pykan._view_state:SymbolicViewState.get_subset": "fills a new standalone layer "
                                                             "(the model's edges are read inside "
                                                             "its edit)",
    "kanlab.plotting._edge_in_use:plot_edge_in_use": "a deep copy of one layer, for a figure",
    "kanlab.train._label_scale:LabelScale.fold_into": "the last layer's c, d: the records "
                                                      "concern the arguments a, b there",
    "kanlab.train._label_scale:_shift": "the last layer's d (as fold_into)",
}


def _exempt(site: str) -> bool:
    module, _, function = site.partition(":")
    return module in EXEMPT or site in EXEMPT or f"{module}:{function.split('.')[0]}" in EXEMPT


def test_every_structure_write_enters_the_edit():
    """A function that writes masks, functions, constants or the layer lists of a model does
    it inside ``with model.edit_structure():`` (a new edit site that forgets fails here)."""
    missing = {site: lines for site, lines in writes_outside_edits().items()
               if not _exempt(site)}
    assert not missing, ("structure writes outside edit_structure (enter it, or list the "
                         f"function in EXEMPT with the reason): {missing}")


def test_every_exemption_is_still_needed():
    """Each entry of EXEMPT names a function or module that still writes the structure."""
    sites = writes_outside_edits()
    stale = [name for name in EXEMPT
             if not any(s == name or s.startswith(name + ":") or s.startswith(name + ".")
                        for s in sites)]
    assert not stale, stale


def test_a_forgotten_edit_is_caught(tmp_path):
    """A write outside the entry is reported; the same write inside it is not."""
    pkg = tmp_path / "kanlab"
    pkg.mkdir()
    (pkg / "bad.py").write_text("def f(model):\n    model.layers[0].mask[0, 0] = 0\n")
    (pkg / "good.py").write_text("def f(model):\n    with model.edit_structure():\n"
                                 "        model.symbolic[0].clear_edge(0, 0)\n")
    assert writes_outside_edits(pkg) == {"kanlab.bad:f": [2]}
