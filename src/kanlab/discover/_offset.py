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

A sum fitted to noisy data nearly always carries some constant term, most often a trace
(``p + ρv²/2 + ρgh − 427`` where the noise is 427: the search cost 3 s of bernoulli's 12).
The search runs only for a constant the data need (:func:`offset_needed`): without it, the
other constants refitted, the validation residuals are worse by more than their noise.
"""
from __future__ import annotations

import numpy as np

__all__ = ["additive_constant", "offset_needed", "offset_formulas"]


def additive_constant(expr) -> float:
    """The constant term of a sum (``2.5 + x·y`` -> 2.5), 0.0 for anything else."""
    import sympy
    if not isinstance(expr, sympy.Add):
        return 0.0
    constant, _ = expr.as_coeff_Add()
    return float(constant) if constant.is_number else 0.0


def offset_needed(best, symbols, X_train, y_train, X_val, y_val) -> bool:
    """Whether ``best``'s constant term is needed: ``best`` without it (its other constants
    refitted on the training rows) is worse on the validation rows by more than one paired
    standard error (:func:`~kanlab.discover._select.within_noise`)."""
    from kanlab.discover._constants import evaluate, refit
    from kanlab.discover._select import within_noise
    without = refit(best - best.as_coeff_Add()[0], symbols, X_train, y_train)
    y_val = np.asarray(y_val, dtype=np.float64)
    with np.errstate(all="ignore"):
        e_without = y_val - evaluate(without, symbols, X_val)
        e_with = y_val - evaluate(best, symbols, X_val)
    return len(y_val) < 2 or not within_noise(e_without, e_with)


def offset_formulas(best, X_train, y_train, X_val, y_val, symbols) -> list:
    """Formulas ``g(x) + c`` from the structure search on ``y − c``, ``c`` the offset of ``best``.

    Args:
        best: the most accurate formula so far (sympy); nothing is done unless it is a sum
            with a constant term ``c`` that the data need (:func:`offset_needed`) and
            ``y − c`` is of one sign on the training rows.
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
    if not offset_needed(best, symbols, X_train, y_train, X_val, y_val):
        return []
    found = structure_formulas(X_train, y_train - c, X_val, np.asarray(y_val) - c, symbols)
    return [e + sympy.Float(c, 17) for e in found]
