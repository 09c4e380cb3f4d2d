"""The library of symbolic candidates ``f`` for edge fits ``y ≈ c·f(a·x + b) + d``.

Every :class:`Candidate` carries the exact function three ways (torch for
fitting, numpy and sympy for export), its derivative, a complexity score
(pykan's scale: ``x`` is 1, ``x^2`` 2, ``exp``/``sin`` 2, the zero function
0) and what the fitter (:mod:`kanlab.symbolic._fit`) needs to know about it:
where it is defined and which invariances make parts of ``(a, b)`` redundant.

sympy is never imported here at module level: each ``sympy_fn`` imports it
when called, so ``import kanlab`` stays free of it.

Exact equivalences inside the built-in library (the fitter cannot, and need
not, tell them apart): ``cos(u) = sin(u + π/2)``, ``arccos(u) = π/2 −
arcsin(u)`` and ``sigmoid(u) = (1 + tanh(u/2))/2``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import torch
from torch import Tensor

from kanlab._validation import check_float, check_int

__all__ = ["Candidate", "Interval", "Poles", "LIBRARY", "register", "resolve_library"]


@dataclass(frozen=True)
class Interval:
    """Domain ``lo < u < hi`` (``lo <= u`` with ``closed_lo``) that all arguments must lie in."""

    lo: float = -math.inf
    hi: float = math.inf
    closed_lo: bool = False

    def __call__(self, umin: Tensor, umax: Tensor) -> Tensor:
        low_ok = umin >= self.lo if self.closed_lo else umin > self.lo
        return low_ok & (umax < self.hi)


@dataclass(frozen=True)
class Poles:
    """Domain avoiding the poles ``at + k·period`` (only ``at`` when ``period`` is None).

    The argument range ``[umin, umax]`` must contain no pole, i.e. it lies on
    one branch: a fit across a pole is never a fit of the function.
    """

    at: float = 0.0
    period: float | None = None

    def __call__(self, umin: Tensor, umax: Tensor) -> Tensor:
        if self.period is None:
            return (umin > self.at) | (umax < self.at)
        # the first pole at or above umin must lie above umax
        k = torch.ceil((umin - self.at) / self.period)
        return self.at + k * self.period > umax


@dataclass(frozen=True)
class Candidate:
    """One symbolic building block ``f`` of ``c·f(a·x + b) + d``.

    Attributes
    ----------
    name
        key in the library, e.g. ``"sin"``.
    fn
        torch, elementwise, the exact function (``(*) -> (*)``); may return
        nan/inf outside its domain (such fits are rejected).
    sympy_fn
        builds the sympy expression of ``f(u)`` from a sympy ``u``;
        imports sympy itself, lazily.
    complexity
        integer cost used in ranking (0 for the zero function).
    numpy_fn
        numpy version of ``fn`` (optional; export and tests).
    deriv
        torch ``f'(u)`` (optional; autograd through ``fn`` otherwise).
    domain
        ``(umin, umax) -> bool`` tensor saying whether every argument in
        ``[umin, umax]`` is admissible (e.g. :class:`Interval`, :class:`Poles`);
        None means the whole real line. Non-finite values reject a fit anyway.
    period
        ``f(u + period) = f(u)``; the fitter then searches phases.
    symmetric
        ``f(-u)`` is an affine function of ``f(u)`` (f even or odd
        up to a constant), so ``a > 0`` suffices.
    scale_free
        ``f(λu)`` is an affine function of ``f(u)`` for ``λ > 0``
        (powers, ``log``, ``abs``, ``sgn``): only the sign of ``a`` matters,
        and fits report ``a = ±1``.
    shift_free
        ``f(u + t)`` is an affine function of ``f(u)`` (``exp``):
        ``b`` is redundant, and fits report ``b = 0``.
    kink
        ``f`` is not differentiable at ``u = 0`` (``abs``, ``sgn``): the
        fitter also tries the kink between every two neighbouring samples.
    avoiding
        ``(u, y_th) -> bounded f(u)``, the user's own singularity-protected form
        (pykan's ``fun_singularity``), which a symbolic edge evaluates instead of
        :func:`kanlab.nn._symbolic_edges.capped` while singularities are avoided;
        None: kanlab's capping rule.
    """

    name: str
    fn: Callable[[Tensor], Tensor]
    sympy_fn: Callable[[Any], Any]
    complexity: int
    numpy_fn: Callable[[np.ndarray], np.ndarray] | None = None
    deriv: Callable[[Tensor], Tensor] | None = None
    domain: Callable[[Tensor, Tensor], Tensor] | None = None
    period: float | None = None
    symmetric: bool = False
    scale_free: bool = False
    shift_free: bool = False
    kink: bool = False
    avoiding: Callable[[Tensor, float], Tensor] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty str, got {self.name!r}")
        for field in ("fn", "sympy_fn"):
            if not callable(getattr(self, field)):
                raise TypeError(f"{field} must be callable, got {type(getattr(self, field)).__name__}")
        for field in ("numpy_fn", "deriv", "domain", "avoiding"):
            value = getattr(self, field)
            if value is not None and not callable(value):
                raise TypeError(f"{field} must be callable or None, got {type(value).__name__}")
        check_int(self.complexity, "complexity", low=0)
        if self.period is not None:
            check_float(self.period, "period (or None)", low=0.0, low_open=True)

    def derivative(self, u: Tensor) -> Tensor:
        """``f'(u)``: by ``deriv``, else by autograd through ``fn`` (elementwise), else,
        for a function autograd cannot differentiate (e.g. ``torch.special.bessel_j0``),
        by central differences, with a :class:`RuntimeWarning` that says so."""
        if self.deriv is not None:
            return self.deriv(u)
        with torch.enable_grad():
            x = u.detach().requires_grad_(True)
            value = self.fn(x)
            if value.requires_grad:
                try:
                    (grad,) = torch.autograd.grad(value.sum(), x)
                    return grad
                except (RuntimeError, NotImplementedError):
                    pass
        return _numeric_derivative(self, u.detach())

    def admissible(self, umin: Tensor, umax: Tensor) -> Tensor:
        """Bool tensor: is every argument in ``[umin, umax]`` inside the domain."""
        ok = torch.isfinite(umin) & torch.isfinite(umax)
        return ok if self.domain is None else ok & self.domain(umin, umax)


_WARNED_NUMERIC: set[str] = set()


def _numeric_derivative(cand: "Candidate", u: Tensor) -> Tensor:
    """Central difference of ``cand.fn`` at ``u`` (step ``eps^(1/3)·max(1, |u|)``), warning once
    per candidate name; a function constant to that precision gets derivative 0 honestly."""
    import warnings
    if cand.name not in _WARNED_NUMERIC:
        _WARNED_NUMERIC.add(cand.name)
        warnings.warn(f"symbolic candidate {cand.name!r} has no autograd derivative; using "
                      "central differences (pass deriv= to register it exactly)",
                      RuntimeWarning, stacklevel=3)
    h = torch.finfo(u.dtype).eps ** (1 / 3) * u.abs().clamp_min(1.0)
    with torch.no_grad():
        return (cand.fn(u + h) - cand.fn(u - h)) / (2 * h)


def _sp():
    import sympy  # lazily: `import kanlab` must not import sympy
    return sympy


def _np_sigmoid(u):
    u = np.asarray(u, dtype=float)
    e = np.exp(-np.abs(u))  # never overflows
    return np.where(u >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _pow(n: int) -> Candidate:
    """``u^n`` for ``n = ±1 … ±5`` (``n = 1`` is the identity)."""
    name = "x" if n == 1 else (f"x^{n}" if n > 0 else "1/x" if n == -1 else f"1/x^{-n}")
    m = n - 1
    return Candidate(
        name=name, fn=(lambda u: u) if n == 1 else (lambda u: u ** n),
        sympy_fn=lambda u: u ** n, complexity={1: 1, 2: 2, 3: 3, 4: 3, 5: 3,
                                               -1: 2, -2: 2, -3: 3, -4: 4, -5: 5}[n],
        numpy_fn=lambda u: np.asarray(u, dtype=float) ** n,
        deriv=(lambda u: torch.ones_like(u)) if n == 1 else (lambda u: n * u ** m),
        domain=Poles(0.0) if n < 0 else None,
        symmetric=True, scale_free=True, shift_free=(n == 1))


_HALF_PI = math.pi / 2

_BUILTINS: list[Candidate] = [
    *(_pow(n) for n in (1, 2, 3, 4, 5, -1, -2, -3, -4)),
    Candidate("sqrt", torch.sqrt, lambda u: _sp().sqrt(u), 2, np.sqrt,
              lambda u: 0.5 * torch.rsqrt(u), Interval(0.0), scale_free=True),
    Candidate("x^1.5", lambda u: u * torch.sqrt(u), lambda u: u ** _sp().Rational(3, 2), 4,
              lambda u: np.asarray(u, dtype=float) ** 1.5, lambda u: 1.5 * torch.sqrt(u),
              Interval(0.0, closed_lo=True), scale_free=True),
    Candidate("1/sqrt", torch.rsqrt, lambda u: 1 / _sp().sqrt(u), 2,
              lambda u: 1 / np.sqrt(u), lambda u: -0.5 * torch.rsqrt(u) / u, Interval(0.0),
              scale_free=True),
    Candidate("exp", torch.exp, lambda u: _sp().exp(u), 2, np.exp, torch.exp, shift_free=True),
    Candidate("log", torch.log, lambda u: _sp().log(u), 2, np.log, torch.reciprocal,
              Interval(0.0), scale_free=True),
    # sin and cos cost 3, one more than x^2: near an extremum c·cos(εx) + d is a
    # parabola, and at equal cost such a lookalike of x^2 could win on noise.
    Candidate("sin", torch.sin, lambda u: _sp().sin(u), 3, np.sin, torch.cos,
              period=2 * math.pi, symmetric=True),
    Candidate("cos", torch.cos, lambda u: _sp().cos(u), 3, np.cos, lambda u: -torch.sin(u),
              period=2 * math.pi, symmetric=True),
    Candidate("tan", torch.tan, lambda u: _sp().tan(u), 3, np.tan,
              lambda u: 1 + torch.tan(u) ** 2, Poles(_HALF_PI, math.pi), period=math.pi,
              symmetric=True),
    # abs and sgn before tanh: tanh(αu) tends to sgn(u), and ties rank by library order
    Candidate("abs", torch.abs, lambda u: _sp().Abs(u), 3, np.abs, torch.sign,
              symmetric=True, scale_free=True, kink=True),
    Candidate("sgn", torch.sign, lambda u: _sp().sign(u), 3, np.sign, torch.zeros_like,
              symmetric=True, scale_free=True, kink=True),
    Candidate("tanh", torch.tanh, lambda u: _sp().tanh(u), 3, np.tanh,
              lambda u: 1 - torch.tanh(u) ** 2, symmetric=True),
    Candidate("sigmoid", torch.sigmoid, lambda u: 1 / (1 + _sp().exp(-u)), 4, _np_sigmoid,
              lambda u: torch.sigmoid(u) * torch.sigmoid(-u), symmetric=True),
    Candidate("arcsin", torch.arcsin, lambda u: _sp().asin(u), 4, np.arcsin,
              lambda u: torch.rsqrt(1 - u * u), Interval(-1.0, 1.0), symmetric=True),
    Candidate("arccos", torch.arccos, lambda u: _sp().acos(u), 4, np.arccos,
              lambda u: -torch.rsqrt(1 - u * u), Interval(-1.0, 1.0), symmetric=True),
    Candidate("arctan", torch.arctan, lambda u: _sp().atan(u), 4, np.arctan,
              lambda u: 1 / (1 + u * u), symmetric=True),
    Candidate("arctanh", torch.arctanh, lambda u: _sp().atanh(u), 4, np.arctanh,
              lambda u: 1 / (1 - u * u), Interval(-1.0, 1.0), symmetric=True),
    Candidate("gaussian", lambda u: torch.exp(-u * u), lambda u: _sp().exp(-u ** 2), 3,
              lambda u: np.exp(-np.square(u)), lambda u: -2 * u * torch.exp(-u * u),
              symmetric=True),
    Candidate("sinh", torch.sinh, lambda u: _sp().sinh(u), 4, np.sinh, torch.cosh,
              symmetric=True),
    Candidate("cosh", torch.cosh, lambda u: _sp().cosh(u), 4, np.cosh, torch.sinh,
              symmetric=True),
    Candidate("0", torch.zeros_like, lambda u: _sp().Integer(0), 0, np.zeros_like,
              torch.zeros_like, symmetric=True, scale_free=True, shift_free=True),
]

LIBRARY: dict[str, Candidate] = {c.name: c for c in _BUILTINS}
"""The default candidates, by name. :func:`register` adds to it."""

CODES: tuple[str, ...] = tuple(c.name for c in _BUILTINS)
"""Built-in candidates by integer code: a model's ``state_dict`` stores a symbolic
edge's function as its index here.  Append-only, so old checkpoints keep their meaning."""


def register(name: str, fn: Callable[[Tensor], Tensor], sympy_fn: Callable[[Any], Any],
             complexity: int, *, overwrite: bool = False, **options: Any) -> Candidate:
    """Add a candidate to :data:`LIBRARY` (used by every call with ``lib=None``).

    Parameters
    ----------
    name, fn, sympy_fn, complexity
        as in :class:`Candidate`.
    overwrite
        replace an existing candidate of that name (else ValueError).
    **options
        the other :class:`Candidate` fields (``numpy_fn``, ``deriv``,
        ``domain``, ``period``, ``symmetric``, ``scale_free``, ``shift_free``, ``kink``,
        ``avoiding``).

    Returns
    -------
    Candidate
        The new :class:`Candidate`. To extend the library for one call only,
        pass ``lib={**LIBRARY, "mine": Candidate(...)}`` instead.
    """
    candidate = Candidate(name, fn, sympy_fn, complexity, **options)
    if name in LIBRARY and not overwrite:
        raise ValueError(f"a candidate named {name!r} exists; pass overwrite=True to replace it")
    LIBRARY[name] = candidate
    return candidate


def resolve_library(lib: None | str | Iterable[str | Candidate] | Mapping[str, Candidate] = None
                    ) -> dict[str, Candidate]:
    """Normalise a ``lib`` argument to a fresh ``{name: Candidate}`` dict.

    Parameters
    ----------
    lib
        None (all of :data:`LIBRARY`), a name, a list of names and/or
        :class:`Candidate` objects, or a dict ``name -> Candidate``.

    Raises
    ------
    ValueError
        unknown names (the message lists the valid ones), or an empty lib.
    TypeError
        entries that are neither names nor candidates.
    """
    if lib is None:
        return dict(LIBRARY)
    if isinstance(lib, (str, Candidate)):
        lib = [lib]
    out: dict[str, Candidate] = {}
    if isinstance(lib, Mapping):
        for name, candidate in lib.items():
            if not isinstance(candidate, Candidate):
                raise TypeError(f"lib[{name!r}] must be a Candidate, got {type(candidate).__name__}")
            out[str(name)] = candidate
    elif isinstance(lib, Iterable):
        unknown = []
        for entry in lib:
            if isinstance(entry, Candidate):
                out[entry.name] = entry
            elif isinstance(entry, str):
                if entry in LIBRARY:
                    out[entry] = LIBRARY[entry]
                else:
                    unknown.append(entry)
            else:
                raise TypeError(f"lib entries must be names or Candidates, got {type(entry).__name__}")
        if unknown:
            raise ValueError(f"unknown symbolic candidate(s) {unknown}; valid names: {list(LIBRARY)}")
    else:
        raise TypeError(f"lib must be None, a name, a list of names/Candidates or a dict, "
                        f"got {type(lib).__name__}")
    if not out:
        raise ValueError("lib is empty; give at least one candidate")
    return out
