"""From splines to formulas: the candidate library, per-edge fits, formulas and their output.

sympy is imported only by the functions that need it, so importing this
package stays cheap.
"""
from kanlab.symbolic._api import (auto_symbolic, edge_samples, fix_symbolic, suggest_symbolic,
                                  symbolic_formula, unfix_symbolic)
from kanlab.symbolic._box import ScaledRange
from kanlab.symbolic._fit import SymbolicFit, fit_candidate, suggest
from kanlab.symbolic._formula import (drop_negligible_terms, nice_number, round_formula,
                                      scales_out_of_factors, to_latex, to_numpy, to_torch)
from kanlab.symbolic._library import LIBRARY, Candidate, Interval, Poles, register, resolve_library

__all__ = ["Candidate", "Interval", "Poles", "LIBRARY", "register", "resolve_library",
           "SymbolicFit", "ScaledRange", "fit_candidate", "suggest", "suggest_symbolic",
           "fix_symbolic", "unfix_symbolic", "auto_symbolic", "symbolic_formula", "edge_samples",
           "round_formula", "nice_number", "drop_negligible_terms", "scales_out_of_factors",
           "to_latex", "to_numpy", "to_torch", "parse_formula"]


def __getattr__(name):
    if name == "parse_formula":  # imports sympy
        from kanlab.symbolic._expressions import parse_formula
        return parse_formula
    raise AttributeError(f"module 'kanlab.symbolic._api' has no attribute {name!r}")
