"""A target with an offset: the structure search again on ``y − c``.

The structure search's transforms of ``y`` (``1/y``, ``y²``, ``log|y|``, see
:mod:`kanlab.discover._sparse`) make products, ratios and reciprocal sums sparse,
but only for the law itself: ``1/(1/m₁ + 1/m₂) − 3`` (a reading against a
baseline, a temperature in other units) has none of them, and its values may
take both signs.  The sums it finds instead fit the noise level with a dozen
terms (``0.071·m₁^(3/2)/√m₂ + 1.4·√(m₁m₂) − 0.52·m₁ − … − 3``, 3× the issue's
limit on the law's own deviation, and the residuals look like noise).

Such a sum carries the offset as its constant term.  :func:`offset_formulas`
takes it from the most accurate candidate so far, runs the structure search on
``y − c``, and returns its formulas plus ``c``.  ``c`` need not be exact: it is
a float of the returned formulas, refitted with their other constants on the
training rows (from ``c`` 0.1 off the offset of 3, the search still finds the law).
This only adds candidates: the validation rows choose among all.
"""
from __future__ import annotations

import numpy as np

__all__ = ["additive_constant", "offset_formulas"]


def additive_constant(expr) -> float:
    """The constant term of a sum (``2.5 + x·y`` -> 2.5), 0.0 for anything else."""
    import sympy
    if not isinstance(expr, sympy.Add):
        return 0.0
    constant, _ = expr.as_coeff_Add()
    return float(constant) if constant.is_number else 0.0


def offset_formulas(best, X_train, y_train, X_val, y_val, symbols) -> list:
    """Formulas ``g(x) + c`` from the structure search on ``y − c``, ``c`` the offset of ``best``.

    Args:
        best: the most accurate formula so far (sympy); nothing is done unless it is a sum
            with a constant term ``c`` and ``y − c`` is of one sign on the training rows.
        X_train, y_train, X_val, y_val: the rows (as for
            :func:`~kanlab.discover._sparse.structure_formulas`).
        symbols: the inputs' sympy symbols.
    """
    import sympy
    from kanlab.discover._signs import dominant_sign
    from kanlab.discover._sparse import structure_formulas
    c = additive_constant(best)
    y_train = np.asarray(y_train, dtype=np.float64)
    if c == 0.0 or not np.isfinite(c) or dominant_sign(y_train - c) == 0.0:
        return []
    found = structure_formulas(X_train, y_train - c, X_val, np.asarray(y_val) - c, symbols)
    return [e + sympy.Float(c, 17) for e in found]
