"""Powers of ten that bring each input near 1: the structure search in natural units.

The term library takes functions of the inputs and of their products as they
are (``cos(k·d)``, ``exp(-x)``): right in the units a law is usually written
in, useless when a column holds millimetres or kilopascals (``cos(1e6·k·d)``
needs a constant inside the function).  A column whose typical size (median of
``|x|``) is more than :data:`FAR` decades from 1 is multiplied by the power of
ten that brings it to 1; formulas found on the rescaled columns are mapped
back with :func:`in_original_units`, so their constants are fitted and printed
in the user's units.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["decade_factors", "in_original_units", "FAR"]

FAR = 1.5  # decades from 1 beyond which a column is rescaled (0.03 ... 30 stay as they are)


def decade_factors(X) -> list[int]:
    """Per column of ``X`` (rows × inputs), the exponent ``e`` such that ``x·10**e`` is near 1.

    0 for columns already near 1 (within :data:`FAR` decades) and for columns of zeros.
    """
    X = np.asarray(X, dtype=np.float64)
    out = []
    for col in X.T:
        size = float(np.median(np.abs(col)))
        decades = math.log10(size) if size > 0 and math.isfinite(size) else 0.0
        out.append(-round(decades) if abs(decades) > FAR else 0)
    return out


def in_original_units(expr, symbols, exponents):
    """``expr`` (in the rescaled columns ``x·10**e``) as a formula of the original columns."""
    import sympy
    return expr.xreplace({s: s * sympy.Integer(10) ** e
                          for s, e in zip(symbols, exponents) if e})
