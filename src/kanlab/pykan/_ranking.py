"""pykan's ranking of symbolic fits, for ``kanlab.pykan``'s ``suggest_symbolic`` and
``auto_symbolic``: ``weight_simple · c_loss_fun(complexity) + (1 − weight_simple) ·
r2_loss_fun(R²)`` on kanlab's fits, with pykan's complexities, near-ties decided by kanlab's
ranking (:mod:`kanlab.symbolic._fit`)."""
from __future__ import annotations

import numpy as np

__all__ = ["default_r2_loss", "default_c_loss", "pykan_complexity", "pykan_losses",
           "pykan_order", "PykanChoice", "TIE"]


def default_r2_loss(r2):
    return np.log2(1 + 1e-5 - r2)  # pykan's default r2_loss_fun


def default_c_loss(c):
    return c  # pykan's default c_loss_fun


# pykan's table gives the built-in sin and cos complexity 2; kanlab's library gives them 3 (one
# more than x^2, for its own ranking), and scored at 3 by pykan's rule a sine loses to a line
# that leaves 1 − R² under 0.3 % (a noisy edge, learnt from a classification's labels).
PYKAN_COMPLEXITY = {"sin": 2, "cos": 2}


def pykan_complexity(fit) -> int:
    """The complexity pykan's table gives ``fit``'s candidate: its own, except for the
    built-in ``sin`` and ``cos`` (:data:`PYKAN_COMPLEXITY`)."""
    return fit.complexity if fit.candidate is None else candidate_complexity(fit.candidate)


def candidate_complexity(candidate) -> int:
    """The complexity pykan's table gives a library candidate (``SYMBOLIC_LIB[name][2]``)."""
    builtin = candidate is _builtin(candidate.name)
    return PYKAN_COMPLEXITY.get(candidate.name, candidate.complexity) if builtin \
        else candidate.complexity


def _builtin(name: str):
    from kanlab.symbolic._library import _BUILTINS
    return next((c for c in _BUILTINS if c.name == name), None)


def pykan_losses(fits, weight_simple, r2_loss_fun=None, c_loss_fun=None):
    """pykan's ranking of ``fits`` (:class:`kanlab.symbolic.SymbolicFit`, each candidate's
    best ``c·f(a·x + b) + d``): arrays ``(r2_loss, c_loss, loss)`` with ``loss =
    weight_simple · c_loss_fun(complexity) + (1 − weight_simple) · r2_loss_fun(R²)``, lower
    is better, complexities as pykan's table (:func:`pykan_complexity`).  With pykan's
    defaults one more unit of complexity must divide ``1 + 1e-5 − R²`` by
    ``2^(weight_simple/(1 − weight_simple))`` (16 at 0.8): past ``R² ≈ 1 − 1e-5`` a fit gains
    almost nothing more, so the simpler of two near-exact fits wins."""
    r2_loss_fun = default_r2_loss if r2_loss_fun is None else r2_loss_fun
    c_loss_fun = default_c_loss if c_loss_fun is None else c_loss_fun
    weight_simple = float(weight_simple)
    r2s = np.array([f.r2 for f in fits], dtype=float)
    cs = np.array([pykan_complexity(f) for f in fits], dtype=float)
    r2_loss = np.asarray(r2_loss_fun(r2s), dtype=float)
    c_loss = np.asarray(c_loss_fun(cs), dtype=float)
    return r2_loss, c_loss, weight_simple * c_loss + (1 - weight_simple) * r2_loss


# Fits whose pykan loss is within this of the lowest are a tie for pykan's rule (an eighth of a
# unit of complexity at weight 0.8; a factor √2 at most in 1 + 1e-5 − R²), and kanlab's ranking
# decides among them.  kanlab's fits are exact enough that, near a spline's own error, several
# lookalikes of the same complexity fit it about equally: scored by pykan's rule alone, learnt
# x² edges went to `c·cos(εx) + d` (a loss 0.02–0.05 lower, `c` up to 58).
TIE = 0.1


def pykan_order(fits, loss) -> list[int]:
    """Indices of ``fits`` (in kanlab's ranking, :func:`kanlab.symbolic.suggest`'s order)
    best first by ``loss``; first of all, of the fits within :data:`TIE` of the lowest loss,
    the one kanlab's ranking puts first."""
    by_loss = [int(k) for k in np.argsort(loss, kind="stable")]
    first = min(k for k in by_loss if loss[k] <= loss[by_loss[0]] + TIE)
    return [first] + [k for k in by_loss if k != first]


class PykanChoice:
    """The fit pykan's ``suggest_symbolic`` ranks first (:func:`pykan_order`), for
    :func:`kanlab.symbolic.auto_symbolic`'s ``choose``."""

    def __init__(self, weight_simple) -> None:
        self.weight_simple = float(weight_simple)

    def __call__(self, fits):
        return fits[pykan_order(fits, pykan_losses(fits, self.weight_simple)[2])[0]]
