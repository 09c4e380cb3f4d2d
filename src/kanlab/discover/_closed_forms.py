"""Closed forms a fitted constant may stand for: powers of π, roots of small rationals, logs, e.

A law measured in SI units carries constants such as ``1/(2π)`` (a Gaussian density),
``1/(4π²)`` (a constant inside a root, before it is pulled out), ``sqrt(2)`` (a speed from
an energy balance) and ``log 2`` (a half-life).  Fitted, they print as decimals
(``0.1591549431``).  :func:`closed_forms` lists the few closed forms close to a value,
simplest first; :func:`~kanlab.discover._constants.round_constants` offers them after the
integers, fractions and fractions of π, and keeps one only where the validation rows
accept it, as for any other simple value.

The set is small on purpose: every form offered is one more way for a noisy constant to
land on a wrong simple value that the validation rows cannot reject.

- ``p/q·π^k`` for ``k`` in −2, −1, 2 (``k = 1`` is :func:`_nice_values`'s own kind),
  ``|p|, q <= 4``;
- ``sqrt(p/q)·π^(j/2)`` for ``j`` in −1, 0, 1, ``p, q <= 6`` (``sqrt(2)``, ``1/sqrt(2π)``,
  ``sqrt(π/2)``), never a rational;
- ``p/q·c`` for ``c`` in ``log 2``, ``log 10``, their reciprocals, ``e`` and ``1/e``,
  ``|p|, q <= 4``.
"""
from __future__ import annotations

import math

__all__ = ["closed_forms"]

PI_POWER_TERMS = 4  # |p| and q of p/q·π^k at most
ROOT_TERMS = 6  # p and q of sqrt(p/q)·π^(j/2) at most
OTHER_TERMS = 4  # |p| and q of p/q·log 2 (log 10, e, ...) at most


def _units():
    """``(sympy unit, its float, limit on |p| and q, under a root, cost)`` of each kind.

    The cost ranks the kinds: a power of π or a log beside its reciprocal or square.
    """
    import sympy
    pi = sympy.pi
    out = [(pi ** k, math.pi ** k, PI_POWER_TERMS, False, abs(k)) for k in (-1, 2, -2)]
    out += [(pi ** sympy.Rational(j, 2), math.pi ** (j / 2), ROOT_TERMS, True, 1 + abs(j))
            for j in (0, -1, 1)]
    out += [(c, float(c), OTHER_TERMS, False, cost)
            for c, cost in ((sympy.log(2), 1), (1 / sympy.log(2), 2), (sympy.log(10), 1),
                            (1 / sympy.log(10), 2), (sympy.E, 1), (1 / sympy.E, 2))]
    return out


def closed_forms(value: float, within: float = 0.02, most: int = 3) -> list:
    """Up to ``most`` closed forms within ``within`` (relative) of ``value``, simplest first.

    Simplest: the smallest ``|p| + q`` plus the kind's cost (see :func:`_units`), then
    nearest.  Values that are
    rational (``sqrt(4/9)``) are left to the caller's fractions.

    >>> closed_forms(0.1591549431)[0]
    1/(2*pi)
    """
    import sympy
    if not math.isfinite(value) or abs(value) < 1e-12:
        return []
    sign = 1 if value > 0 else -1
    found = []
    for unit, unit_value, terms, root, cost in _units():
        target = (value / unit_value) ** 2 if root else value / unit_value  # p/q to find
        for q in range(1, terms + 1):
            p = round(target * q)
            if p == 0 or abs(p) > terms or math.gcd(p, q) != 1:
                continue
            if root:
                if p < 0:
                    continue
                ratio = sympy.Rational(p, q)
                if unit == 1 and sympy.sqrt(ratio).is_Rational:
                    continue
                form = sign * sympy.sqrt(ratio) * unit
            else:
                form = sympy.Rational(p, q) * unit
            error = abs(float(form) - value) / abs(value)
            if error <= within and form not in [f for _, _, f in found]:
                found.append((abs(p) + q + cost, error, form))
    return [form for _, _, form in sorted(found, key=lambda t: (t[0], t[1]))[:most]]
