"""pykan's ``fit_params`` on an edge whose inputs take one value only.

pykan 0.2.8's ``fit_params`` (behind ``fix_symbolic(l, i, j, name)`` and ``utils.fit_params``)
fits ``y ≈ c·f(a·x + b) + d`` by a sweep over ``a, b`` and a linear fit of ``c, d``.  When
every sample of ``x`` is the same value (a node whose incoming edges were all fixed to ``0``
by ``auto_symbolic`` computes 0 everywhere), ``f(a·x + b)`` is one number: pykan returns
``c = 0``, ``d`` = the mean of ``y``, R² ≈ 0, and goes on.  kanlab's fitter
(:func:`kanlab.symbolic.fit_candidate`) refuses such ``x`` with a ValueError, which stopped
Physics_4C's ``fix_symbolic(1, 2, 0, 'x')`` under ``ATEN_CPU_CAPABILITY=default`` (its
auto_symbolic had fixed every edge into that product node to 0; docs/pykan_notebook_runs.md,
phys4c).  Here the edge becomes the constant ``d = mean(y)`` with ``(a, b) = (1, 0)``, as
pykan's (whose ``a, b`` are wherever its sweep ended), and R² 0.
"""
from __future__ import annotations

import torch

from kanlab.pykan._args import as_tensor_in_place as _in_place
from kanlab.symbolic import ScaledRange

__all__ = ["fit_edge", "A_RANGE"]

# pykan's default bound on ``a`` in ``c·f(a·x + b) + d``, (-10, 10), taken as stated for inputs
# on [-1, 1] and widened on a hidden node's narrower range (kanlab.symbolic.ScaledRange): on
# Example_10 the fixed bound left tanh on its hidden range [-0.07, 0.03] nearly straight
# (R² 0.95, gaussian ranked first), and the fitted start of the notebook's Adam fit (cell 16)
# then crawled: 2000 steps ended at 6.7e-3 / 2.6e-5 / 6e-7 on three draws, against the
# notebook's 2e-6 (docs/pykan_notebook_runs.md, a_range).  A bound the user passes is kept.
A_RANGE = ScaledRange(-10, 10)


def fit_edge(x, y, candidate, a_range=A_RANGE, b_range=(-10, 10)):
    """``((a, b, c, d), r2)`` for ``y ≈ c·f(a·x + b) + d`` (floats), as pykan's ``fit_params``."""
    from kanlab.symbolic import fit_candidate
    x, y = _in_place(x).reshape(-1), _in_place(y).reshape(-1)
    if x.numel() == y.numel() and x.numel() > 0 and bool(torch.isfinite(x).all()) \
            and float(x.min()) == float(x.max()):
        return (1.0, 0.0, 0.0, float(y.double().mean())), 0.0
    fit = fit_candidate(x, y, candidate, a_range=a_range, b_range=b_range)
    return tuple(float(v) for v in fit.params), float(fit.r2)
