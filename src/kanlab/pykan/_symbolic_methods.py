"""pykan's symbolic methods of :class:`kanlab.pykan.KAN` (a mixin): pykan's arguments
translated onto :mod:`kanlab.pykan._symbolic`, and a version saved after each change."""
from __future__ import annotations

from kanlab.pykan._fit_params import A_RANGE as _A_RANGE

__all__ = ["SymbolicMethods"]


class SymbolicMethods:
    """``fix_symbolic``, ``suggest_symbolic``, ``auto_symbolic``, ``symbolic_formula`` and
    their kin, as pykan calls them; mixed into :class:`kanlab.pykan.KAN` before kanlab's
    own network class, whose ``unfix_symbolic`` they extend."""

    def fix_symbolic(self, l, i, j, fun_name, fit_params_bool=True, a_range=_A_RANGE,
                     b_range=(-10, 10), verbose=True, random=False, log_history=True):
        from kanlab.pykan._symbolic import fix_symbolic
        r2 = fix_symbolic(self, int(l), int(i), int(j), fun_name, fit_params_bool, a_range,
                          b_range, verbose, random)
        if log_history:
            self.log_history("fix_symbolic")
        return r2

    def unfix_symbolic(self, l, i, j, log_history=True) -> None:
        super().unfix_symbolic(int(l), int(i), int(j))
        if log_history:
            self.log_history("unfix_symbolic")

    def unfix_symbolic_all(self, log_history=True) -> None:
        """Every edge back to its spline (a removed one too), as pykan's: ``unfix_symbolic``
        of each edge, each saving a version unless ``log_history=False``."""
        for l, layer in enumerate(self.layers):
            for i in range(layer.in_features):
                for j in range(layer.out_features):
                    self.unfix_symbolic(l, i, j, log_history)

    def suggest_symbolic(self, l, i, j, a_range=_A_RANGE, b_range=(-10, 10), lib=None, topk=5,
                         verbose=True, r2_loss_fun=None, c_loss_fun=None, weight_simple=0.8):
        from kanlab.pykan._symbolic import suggest_symbolic
        return suggest_symbolic(self, int(l), int(i), int(j), a_range, b_range, lib, int(topk),
                                verbose, weight_simple, r2_loss_fun, c_loss_fun)

    def auto_symbolic(self, a_range=_A_RANGE, b_range=(-10, 10), lib=None, verbose=1,
                      weight_simple=0.8, r2_threshold=0.0):
        from kanlab.pykan._symbolic import auto_symbolic
        auto_symbolic(self, a_range, b_range, lib, verbose, weight_simple, r2_threshold)
        self.log_history("auto_symbolic")

    def symbolic_formula(self, var=None, normalizer=None, output_normalizer=None,
                         simplify=False):
        """``([one sympy expression per output], input variables)``, as pykan."""
        from kanlab.pykan._symbolic import symbolic_formula
        return symbolic_formula(self, var, normalizer, output_normalizer)

    def set_mode(self, l, i, j, mode, mask_n=None) -> None:
        from kanlab.pykan._structure import set_mode
        set_mode(self, int(l), int(i), int(j), mode, mask_n)
