"""Closed-form candidates that need no network: a linear law and a power law.

Both are least-squares fits on the training rows.  The power law
``C·Π x_i^p_i`` is the linear fit in log space (see
:mod:`kanlab.discover._scaling`), so it exists only for a target of one
sign; inputs that are not all positive enter it as ``exp(a·x)`` factors.
"""
from __future__ import annotations

import numpy as np

__all__ = ["direct_formulas"]


def direct_formulas(X, y, symbols) -> list:
    """The linear and (where it applies) the power-law formula, in the original columns."""
    import sympy
    from kanlab.discover._scaling import make_space
    out = []
    for kind in ("raw", "log"):
        space = make_space(kind, X, y)
        if space is None:
            continue
        keep = space.usable(y)
        Z, t = space.x(X[keep]), space.y(y[keep])
        A = np.column_stack([Z, np.ones(len(Z))])
        coef, *_ = np.linalg.lstsq(A, t, rcond=None)
        if not np.all(np.isfinite(coef)):
            continue
        z = [sympy.Symbol(f"_z{i}", real=True) for i in range(Z.shape[1])]
        expr = sum((sympy.Float(float(c), 17) * zi for c, zi in zip(coef, z)),
                   sympy.Float(float(coef[-1]), 17))
        out.append(space.to_original(expr, z, symbols))
    return out
