"""pykan's structure edits on the model: modules, nodes removed, perturbed, added, swapped.

Each is an entry point to :mod:`kanlab.pykan._structure` / :mod:`kanlab.pykan._interactions`
that logs a version as pykan does (auto-save)."""
from __future__ import annotations

__all__ = ["StructureMethods"]


class StructureMethods:
    """Mixin of :class:`kanlab.pykan.KAN` (it provides ``log_history`` and ``logged``)."""

    def module(self, start_layer, chain) -> None:
        """Build a modular structure in: see :func:`kanlab.pykan._structure.module`."""
        from kanlab.pykan._interactions import module
        module(self, start_layer, chain)
        self.log_history("module")

    def feature_interaction(self, l, neuron_th=1e-2, feature_th=1e-2) -> dict:
        from kanlab.pykan._interactions import feature_interaction
        return feature_interaction(self, l, neuron_th, feature_th)

    def remove_node(self, l, i, mode="all", log_history=True) -> None:
        from kanlab.pykan._structure import remove_node
        remove_node(self, int(l), int(i), mode)
        if mode not in ("up", "down"):  # pykan's 'all' calls itself for 'up' and 'down',
            self.log_history("remove_node")  # each saving a version whatever log_history says
            self.log_history("remove_node")
        self.logged(log_history, "remove_node")

    # ------------------------------------------------------------------ structure
    # each saves a version, as in the pykan that printed the Physics_4 tutorials (0.2.8 saves
    # after perturb only); a notebook's rewind('0.7') names the versions so counted
    def perturb(self, mag=1.0, mode="non-intrusive"):
        from kanlab.pykan._structure import perturb
        perturb(self, float(mag), mode)
        self.log_history("perturb")

    def expand_depth(self):
        from kanlab.pykan._growth import expand_depth
        expand_depth(self)
        self.log_history("expand_depth")

    def expand_width(self, layer_id, n_added_nodes, sum_bool=True, mult_arity=2, perturb=False):
        from kanlab.pykan._growth import expand_width
        expand_width(self, int(layer_id), int(n_added_nodes), sum_bool, mult_arity,
                     bool(perturb))
        self.log_history("expand_width")

    def swap(self, l, i1, i2, log_history=True):
        from kanlab.pykan._structure import swap
        swap(self, int(l), int(i1), int(i2))
        self.logged(log_history, "swap")

    def auto_swap(self):
        from kanlab.pykan._structure import auto_swap
        auto_swap(self)
        self.log_history("auto_swap")
