"""pykan methods of :class:`kanlab.pykan.KAN` kept out of ``_model.py``: ``reg``/``get_reg``,
``n_sum``, ``disable_symbolic_in_fit``, ``auto_swap_l`` and the node affine maps.

``reg`` is pykan's sparsity penalty for custom training loops (a closure that
builds its own loss, e.g. from a Jacobian, and adds ``lamb · model.reg(...)``).
pykan computes it from the activations of the last forward pass; kanlab
recomputes the edge magnitudes on the last input the model kept (``model(x)``,
``get_act``, ``fit`` or ``update_grid_from_samples``), so the value and its
gradient with respect to the parameters are the same.  ``reg_metric`` is
pykan's name, trained with the metric ``fit`` uses for it
(:data:`kanlab.pykan._fit_settings.NATIVE_METRIC`); ``lamb_coef``/``lamb_coefdiff`` add
pykan's penalties on the spline coefficients and their differences.
"""
from __future__ import annotations

import torch
from torch import Tensor

from kanlab.pykan._legacy import available_device

__all__ = ["PykanExtras"]


def _affine(model, name: str, fill: float, sub: bool) -> list[Tensor]:
    """pykan's list of ``name`` vectors, one per layer: the model's own parameters with
    ``affine_trainable`` (``kanlab.nn._node_affine``), else new tensors filled with ``fill``,
    a value per subnode (``sub``) or per node of the level the layer feeds."""
    if model.affines is not None:
        return [getattr(affine, name) for affine in model.affines]
    widths = model.width_out if sub else model.width_in
    return [torch.full((w,), fill, dtype=model.dtype, device=model.device) for w in widths[1:]]


class PykanExtras:
    """Mixin of :class:`kanlab.pykan.KAN`."""

    # pykan's node affine maps (scale * x + bias after each subnode and node): with
    # affine_trainable the model's parameters (the list is new, its entries are the model's);
    # without, the identity (a pykan checkpoint's maps are folded into the edges,
    # _pykan_state): new tensors on every read.
    node_scale = property(lambda self: _affine(self, "node_scale", 1.0, False),
                          doc="pykan's ``node_scale``: per node of levels 1..L")
    node_bias = property(lambda self: _affine(self, "node_bias", 0.0, False),
                         doc="pykan's ``node_bias``: per node of levels 1..L")
    subnode_scale = property(lambda self: _affine(self, "subnode_scale", 1.0, True),
                             doc="pykan's ``subnode_scale``: per subnode (output of a layer)")
    subnode_bias = property(lambda self: _affine(self, "subnode_bias", 0.0, True),
                            doc="pykan's ``subnode_bias``: per subnode (output of a layer)")

    def to(self, *args, **kwargs):
        """``nn.Module.to``; a CUDA device without CUDA means the CPU, with a warning
        (:mod:`kanlab.pykan._legacy`)."""
        args = tuple(available_device(a) if isinstance(a, (str, torch.device)) else a
                     for a in args)
        if "device" in kwargs:
            kwargs["device"] = available_device(kwargs["device"])
        return super().to(*args, **kwargs)

    def cuda(self, device=None):
        """``nn.Module.cuda``, or the CPU with a warning when CUDA is not available."""
        return self.to("cuda" if device is None else torch.device("cuda", device))

    def reg(self, reg_metric="edge_forward_spline_n", lamb_l1=1.0, lamb_entropy=2.0,
            lamb_coef=0.0, lamb_coefdiff=0.0, entropy_offset=None, x=None) -> Tensor:
        """pykan's sparsity penalty on the last input (or ``x``), differentiable.

        ``entropy_offset`` (an older pykan's keyword, pykan 0.2.8 fixes it at 1): each node's
        edge magnitudes are divided by their sum plus it before the entropy is taken.  A
        small offset (Physics_2B passes 1e-4) makes the entropy scale-free, so the penalty
        no longer falls by shrinking the whole network.
        """
        from kanlab.pykan._fit import _coef_penalty
        from kanlab.pykan._fit_settings import NATIVE_METRIC, reg_metric_name
        from kanlab.train._magnitudes import forward_with_magnitudes
        from kanlab.train._regularization import sparsity_penalty
        metric = NATIVE_METRIC[reg_metric_name(reg_metric)]
        x = self._data(x).detach()
        _, mags = forward_with_magnitudes(self, x, None, metric)
        total = sparsity_penalty(mags, float(lamb_l1), float(lamb_entropy), metric,
                                 mass=None if entropy_offset is None else float(entropy_offset))
        if lamb_coef or lamb_coefdiff:
            total = total + _coef_penalty(self, float(lamb_coef), float(lamb_coefdiff))
        return total

    def get_reg(self, reg_metric="edge_forward_spline_n", lamb_l1=1.0, lamb_entropy=2.0,
                lamb_coef=0.0, lamb_coefdiff=0.0, entropy_offset=None) -> Tensor:
        """Same as :meth:`reg` (pykan's alias)."""
        return self.reg(reg_metric, lamb_l1, lamb_entropy, lamb_coef, lamb_coefdiff,
                        entropy_offset)

    @property
    def n_sum(self) -> list[int]:
        """Addition nodes of every hidden level (pykan's)."""
        return [n_add for n_add, _ in self.width[1:-1]]

    @property
    def input_id(self):
        """pykan's ``input_id``: the original input column of each input (after
        ``prune_input``), a long tensor; inputs of that width are narrowed to them
        (:mod:`kanlab.pykan._input_ids`)."""
        from kanlab.pykan._input_ids import input_id
        return input_id(self)

    @input_id.setter
    def input_id(self, ids) -> None:
        # pykan's is a plain tensor attribute: clones copy it over (model.input_id = src.input_id)
        from kanlab.nn._width import check_ids
        values = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
        self.input_ids = check_ids(values, self.n_nodes[0])

    @property
    def n_mult(self) -> list[int]:
        """Multiplication nodes of every hidden level (pykan's: ``[2]`` for ``[2, [3, 2], 1]``;
        kanlab's own ``KAN.n_mult`` lists every level, the engine reads ``arities``)."""
        return [n_mult for _, n_mult in self.width[1:-1]]

    def disable_symbolic_in_fit(self, lamb):
        """pykan's set-up for a fit: without a penalty (``lamb == 0``) ``save_act`` goes off,
        without any symbolic edge ``symbolic_enabled`` goes off; returns the old
        ``(save_act, symbolic_enabled)`` for the caller to restore."""
        old = (self.save_act, self.symbolic_enabled)
        if lamb == 0.0:
            self.save_act = False
        if not any(bool((sym.mask != 0).any()) for sym in self.symbolic):
            self.symbolic_enabled = False
        return old

    def auto_swap_l(self, l) -> None:
        """pykan's pass over hidden level ``l``: each addition node in turn is swapped with the
        node whose swap gives the lowest connection cost (itself when none is lower)."""
        from kanlab.pykan._structure import auto_swap_l
        auto_swap_l(self, int(l))
