"""``kan.feynman``: the AI Feynman benchmark's equations as data sets for KAN experiments.

``get_feynman_dataset(name)`` returns ``(variables, expr, f, ranges)`` for
problem ``name``: an int ``1..100`` (the benchmark's order) or the equation's
name (``'I.34.14'``), or ``'test'``.  ``variables`` are sympy symbols, ``expr``
the sympy formula, ``f`` a torch function ``(N, n_var) -> (N, 1)`` built from
``expr`` by :func:`kanlab.symbolic.to_torch` (nothing is downloaded), and
``ranges`` one ``[low, high]`` per variable, chosen so that ``f`` is finite on
it.  pykan numbers 20 further equations 101–120; they are not provided here
(a ValueError says so).
"""
from __future__ import annotations

import sympy

from kanlab.pykan._feynman_table import EQUATIONS
from kanlab.symbolic import to_torch

__all__ = ["get_feynman_dataset", "feynman_names"]

_DEFAULT_RANGE = (1.0, 2.0)
_TEST = ("test", "x y", "(x+y)*sin(exp(2*y))", "x:-1,1 y:-1,1")


def feynman_names() -> list[str]:
    """The equations' names, problem 1 first."""
    return [row[0] for row in EQUATIONS]


def _row(name):
    if isinstance(name, str):
        if name == "test":
            return _TEST
        for row in EQUATIONS:
            if row[0] == name:
                return row
        raise ValueError(f"no Feynman equation named {name!r}; names are "
                         f"{', '.join(feynman_names()[:3])}, ... (feynman_names())")
    if isinstance(name, bool) or not hasattr(name, "__index__"):
        raise TypeError(f"name must be a problem number or an equation name, got {name!r}")
    number = int(name)
    if not 1 <= number <= len(EQUATIONS):
        raise ValueError(f"problem number must lie in [1, {len(EQUATIONS)}] (the AI Feynman "
                         f"benchmark; pykan's extra problems 101-120 are not provided), "
                         f"got {number}")
    return EQUATIONS[number - 1]


def get_feynman_dataset(name):
    """``(variables, expr, f, ranges)`` of Feynman problem ``name`` (see the module doc)."""
    _, names, formula, spec = _row(name)
    variables = list(sympy.symbols(names, seq=True))
    local = {str(v): v for v in variables}
    expr = sympy.sympify(formula, locals=local)
    bounds = {}
    for item in spec.split():
        var, lohi = item.split(":")
        lo, hi = lohi.split(",")
        bounds[var] = (float(lo), float(hi))
    ranges = [list(bounds.get(str(v), _DEFAULT_RANGE)) for v in variables]
    return variables, expr, to_torch(expr, variables), ranges
