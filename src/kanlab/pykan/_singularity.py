"""``kan.utils``' singularity-avoiding helpers (``f_inv``, ``f_sqrt``, ``f_log``, ...) on
kanlab's own rule.

pykan pairs each symbolic function with a variant ``f(x, y_th) -> (threshold, value)`` that
``Symbolic_KANLayer.forward(..., singularity_avoiding=True)`` uses, each a formula of its
own.  kanlab avoids singularities once, in :func:`kanlab.nn._symbolic_edges.capped` (what a
:class:`kanlab.pykan.KAN` does with ``singularity_avoiding=True``): ``f`` where it is finite
and at most ``y_th`` in magnitude; outside an interval domain ``f`` at the nearest end
(``arcsin`` beyond 1 is ``π/2``); below a half-line domain whose end is finite the point
reflection through it (``sqrt(x)`` is ``−sqrt(−x)`` for ``x < 0``); else ``±y_th``.  The
helpers here are that rule in pykan's signature: ``value`` (``[1]``) is the capped function;
the first entry is pykan's threshold where it has one (``x_th``), else ``()``.

Where ``f`` is finite and within ``y_th`` every helper equals pykan's.  Near the
singularities they agree for ``1/x^2``, ``1/x^4``, ``exp``, ``arcsin``, ``arccos`` and
(beyond ``|x| = 1``) ``arctanh``, and differ where pykan chose another stand-in:

* ``1/x``, ``1/x^3``, ``1/x^5`` within ``x_th`` of 0: pykan a straight line through 0
  (``y_th/x_th · x``), kanlab ``±y_th``;
* ``sqrt`` within ``1/y_th²`` of 0: pykan a line, kanlab ``sqrt`` itself (bounded there);
* ``x^1.5``, ``1/sqrt``, ``log`` at negative ``x``: pykan the function of ``|x|`` (even),
  kanlab ``−|x|^1.5`` (reflection) and ``y_th``, ``−y_th`` (caps);
* ``tan`` near its poles: pykan a line through the pole, kanlab ``±y_th``;
* ``arctanh`` for ``tanh(y_th) − 1e-4 < |x| ≤ 1`` (pykan's margin): pykan ``±y_th``,
  kanlab ``arctanh(x)`` while it stays within ``y_th``.

pykan's own ``f_power1d5`` returns the bare tensor and ``f_tan`` a 3-tuple; here every
helper returns ``(threshold, value)``.

A user's own protected form (``add_symbolic(..., fun_singularity=)``, the fourth entry of
``SYMBOLIC_LIB[name] = (...)``, an assignment to ``symbolic_fun[l].funs_avoid_singularity[j][i]``)
replaces the rule for that function: :class:`UsersAvoiding` calls it as pykan does,
``fun(u, torch.tensor(y_th))[1]``, and it is the candidate's ``avoiding``
(:class:`kanlab.symbolic.Candidate`).
"""
from __future__ import annotations

import math

import torch

from kanlab.nn._symbolic_edges import capped
from kanlab.symbolic._library import LIBRARY, _pow

__all__ = ["f_inv", "f_inv2", "f_inv3", "f_inv4", "f_inv5", "f_sqrt", "f_power1d5", "f_invsqrt",
           "f_log", "f_tan", "f_arctanh", "f_arcsin", "f_arccos", "f_exp", "avoiding",
           "for_candidate", "UsersAvoiding", "with_users_avoiding"]


def avoiding(candidate, threshold=None):
    """``f(x, y_th) -> (threshold(y_th) or (), value)``: ``candidate``'s function capped by
    kanlab's rule (:func:`kanlab.nn._symbolic_edges.capped`) at ``y_th``."""
    def f(x, y_th):
        y = float(y_th)
        if not y > 0:
            raise ValueError(f"y_th must be a positive number, got {y_th!r}")
        x = torch.as_tensor(x)
        if not x.is_floating_point():
            x = x.to(torch.get_default_dtype())
        flat = x.reshape(-1) if x.dim() == 0 else x
        value = capped(candidate.fn, flat, y, getattr(candidate, "domain", None))
        return (() if threshold is None else threshold(y)), value.reshape(x.shape)
    f.__name__ = f"avoiding_{candidate.name}"
    return f


def _power(p: float):  # pykan's x_th for a pole of order p: |x|^-p = y_th
    return lambda y: y ** (-1.0 / p)


f_inv = avoiding(LIBRARY["1/x"], _power(1))
f_inv2 = avoiding(LIBRARY["1/x^2"], _power(2))
f_inv3 = avoiding(LIBRARY["1/x^3"], _power(3))
f_inv4 = avoiding(LIBRARY["1/x^4"], _power(4))
f_inv5 = avoiding(_pow(-5), _power(5))
f_sqrt = avoiding(LIBRARY["sqrt"], lambda y: y ** -2.0)
f_power1d5 = avoiding(LIBRARY["x^1.5"])
f_invsqrt = avoiding(LIBRARY["1/sqrt"], lambda y: y ** -2.0)
f_log = avoiding(LIBRARY["log"], lambda y: math.exp(-y))
f_tan = avoiding(LIBRARY["tan"], lambda y: math.pi / 2 - math.atan(y))
f_arctanh = avoiding(LIBRARY["arctanh"], lambda y: 1 - math.tanh(y) + 1e-4)
f_arcsin = avoiding(LIBRARY["arcsin"])
f_arccos = avoiding(LIBRARY["arccos"])
f_exp = avoiding(LIBRARY["exp"], math.log)

# the helpers by library name (pykan's SYMBOLIC_LIB[name][3])
_BY_NAME = {"1/x": f_inv, "1/x^2": f_inv2, "1/x^3": f_inv3, "1/x^4": f_inv4, "1/x^5": f_inv5,
            "sqrt": f_sqrt, "x^1.5": f_power1d5, "1/sqrt": f_invsqrt, "log": f_log, "tan": f_tan,
            "arctanh": f_arctanh, "arcsin": f_arcsin, "arccos": f_arccos, "exp": f_exp}


class UsersAvoiding:
    """A user's pykan-style ``fun(x, y_th) -> (threshold, value)`` as a candidate's
    ``avoiding`` ``(u, y_th) -> value``; a function that returns the value alone (as pykan's
    ``f_power1d5``) is taken as it is."""

    def __init__(self, fun) -> None:
        if not callable(fun):
            raise TypeError(f"a singularity-avoiding function must be callable, got "
                            f"{type(fun).__name__}")
        self.fun = fun

    def __call__(self, u, y_th):
        out = self.fun(u, torch.tensor(float(y_th)))
        value = out[1] if isinstance(out, (tuple, list)) else out
        return torch.as_tensor(value, dtype=u.dtype, device=u.device).expand_as(u)


def with_users_avoiding(candidate, fun):
    """``candidate`` evaluated by the user's ``fun`` while singularities are avoided (``fun``
    None, or one of this module's helpers, which are kanlab's rule: ``candidate`` itself)."""
    import dataclasses
    if fun is None or fun is for_candidate(candidate) or fun in _BY_NAME.values():
        return candidate
    return dataclasses.replace(candidate, avoiding=UsersAvoiding(fun))


def for_candidate(candidate):
    """The user's own protected form of ``candidate`` if it has one, else the helper of a
    library function (pykan's threshold with it), else :func:`avoiding`."""
    own = getattr(candidate, "avoiding", None)
    if own is not None:
        return own.fun if isinstance(own, UsersAvoiding) else (lambda x, y_th: ((), own(x, y_th)))
    helper = _BY_NAME.get(candidate.name)
    if helper is not None and LIBRARY.get(candidate.name) is candidate:
        return helper
    return avoiding(candidate)
