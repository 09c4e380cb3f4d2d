"""Edge bases other than B-splines, behind one interface.

A :class:`kanlab.KANLayer` computes every edge as ``w_b·b(x) + w_s·Σ_b c_b φ_b(x)``;
this module supplies the family ``φ_b``.  Every basis lives on the layer's
*domain* ``[lo, hi]`` per input, read from its knot buffer
(``knots[:, k] .. knots[:, G + k]``), so grid updates, refinement and
checkpoints keep one data model whatever the basis.

========== ================ ==================================================
name       ``n_basis``      functions of ``t``, ``x`` mapped onto the domain
========== ================ ==================================================
bspline    ``G + k``        degree-``k`` B-splines on the knots (the default;
                            evaluated by :mod:`kanlab.splines._basis_function`, fused kernels)
chebyshev  ``G + 1``        ``T_0 .. T_G`` of ``t = 2(x - lo)/(hi - lo) - 1``
                            on the domain, continued outside it as the tangent
                            line at the end (C¹, like the B-splines' linear
                            extension).  ChebyKAN squashes with ``tanh``
                            instead, which bends the function inside the
                            domain too; the polynomial itself would blow up
                            outside, and a constant continuation cost 2.5e-4
                            test RMSE on the seed function (test points a
                            hair beyond the training extremes)
fourier    ``2G + 1``       ``1, cos(mθ), sin(mθ)`` for ``m = 1..G`` with
                            ``θ = π(x - lo)/(hi - lo)``: the domain is half the
                            base period, so a non-periodic function is a
                            smooth piece of a periodic one (a Fourier
                            extension) instead of suffering a jump at the ends
rbf        ``G + 2k + 2``   ``1`` and the Gaussians ``exp(-((x - c)/h)²)`` on
                            the ``G + 2k + 1`` knots ``c`` (the grid points and
                            ``k`` more beyond each end), ``h`` their spacing
                            (FastKAN, Li 2024; the constant plays the role of
                            FastKAN's bias).  Without the outer centres the
                            fit sags at the ends: least-squares RMSE of
                            ``exp`` on [-1, 1] at G = 10 is 1.8e-2, with
                            them (k = 3) 5.7e-5.  Gaussians of a fixed width
                            saturate: the error stops falling near 5e-5
========== ================ ==================================================

Every family contains the constant function (:meth:`EdgeBasis.unit`), which
pruning uses to fold a removed edge's mean into a kept one.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["EdgeBasis", "BSplineEdges", "ChebyshevEdges", "FourierEdges", "RBFEdges",
           "EDGE_BASES", "get_edge_basis", "domain"]


def domain(knots: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """``(lo, hi)``, each ``(in,)``: the base interval of every knot row ``(in, G + 2k + 1)``."""
    grid = knots.shape[-1] - 2 * k - 1
    return knots[:, k], knots[:, k + grid]


def _unit_interval(x: Tensor, knots: Tensor, k: int) -> Tensor:
    """``(x - lo) / (hi - lo)`` per input: ``(B, in)``."""
    lo, hi = domain(knots, k)
    return (x - lo) / (hi - lo)


class EdgeBasis:
    """A family of edge functions.

    Subclasses define :attr:`name`, :meth:`n_basis` and :meth:`evaluate`.
    """

    name: str = ""

    def n_basis(self, grid: int, k: int) -> int:
        """Number of functions (coefficients per edge) on ``grid`` intervals."""
        raise NotImplementedError

    def evaluate(self, x: Tensor, knots: Tensor, k: int) -> Tensor:
        """Every function at every input.

        Args:
            x: ``(B, in)``.
            knots: ``(in, G + 2k + 1)``; only the domain (and for B-splines
                the knots themselves) is used.
            k: spline degree (the knot layout; only B-splines use it as a degree).

        Returns:
            ``(B, in, n_basis)``, differentiable in ``x``.
        """
        raise NotImplementedError

    def unit(self, n: int, *, dtype=None, device=None) -> Tensor:
        """Coefficients ``(n,)`` of the constant function 1 (first function: 1)."""
        c = torch.zeros(n, dtype=dtype, device=device)
        c[0] = 1.0
        return c

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class BSplineEdges(EdgeBasis):
    """Degree-``k`` B-splines on the layer's knots (linear extension outside)."""

    name = "bspline"

    def n_basis(self, grid: int, k: int) -> int:
        return grid + k

    def evaluate(self, x: Tensor, knots: Tensor, k: int) -> Tensor:
        from kanlab.splines._basis_function import dense_basis
        return dense_basis(x, knots, k)

    def unit(self, n: int, *, dtype=None, device=None) -> Tensor:
        # partition of unity: all coefficients 1
        return torch.ones(n, dtype=dtype, device=device)


class ChebyshevEdges(EdgeBasis):
    """Chebyshev polynomials ``T_0 .. T_G`` on the domain, linear outside it."""

    name = "chebyshev"

    def n_basis(self, grid: int, k: int) -> int:
        return grid + 1

    def evaluate(self, x: Tensor, knots: Tensor, k: int) -> Tensor:
        n = self.n_basis(knots.shape[-1] - 2 * k - 1, k)
        s = 2 * _unit_interval(x, knots, k) - 1
        t = s.clamp(-1.0, 1.0)
        # three-term recurrence: stable on [-1, 1] and differentiable at ±1,
        # unlike cos(n·arccos t)
        terms = [torch.ones_like(t), t]
        for _ in range(2, n):
            terms.append(2 * t * terms[-1] - terms[-2])
        values = torch.stack(terms[:n], dim=-1)  # (B, in, n)
        # tangent beyond the ends: T_m'(1) = m², T_m'(-1) = (-1)^(m+1) m²
        m = torch.arange(n, dtype=x.dtype, device=x.device)
        parity = 1 - 2 * (m.remainder(2) == 0).to(x.dtype)  # (-1)^(m+1)
        slope = torch.where((s > 0).unsqueeze(-1), m * m, parity * m * m)
        return values + (s - t).unsqueeze(-1) * slope


class FourierEdges(EdgeBasis):
    """``1, cos(mθ), sin(mθ)`` (``m = 1..G``), the domain being half a period."""

    name = "fourier"

    def n_basis(self, grid: int, k: int) -> int:
        return 2 * grid + 1

    def evaluate(self, x: Tensor, knots: Tensor, k: int) -> Tensor:
        grid = knots.shape[-1] - 2 * k - 1
        theta = math.pi * _unit_interval(x, knots, k)  # (B, in)
        m = torch.arange(1, grid + 1, dtype=x.dtype, device=x.device)
        angles = theta.unsqueeze(-1) * m  # (B, in, G)
        return torch.cat([torch.ones_like(theta).unsqueeze(-1), angles.cos(), angles.sin()], -1)


class RBFEdges(EdgeBasis):
    """A constant and Gaussians of width ``h`` on the ``G + 2k + 1`` uniform knots (FastKAN)."""

    name = "rbf"

    def n_basis(self, grid: int, k: int) -> int:
        return grid + 2 * k + 2

    def evaluate(self, x: Tensor, knots: Tensor, k: int) -> Tensor:
        grid = knots.shape[-1] - 2 * k - 1
        # in units of the spacing h = (hi - lo)/G the centres are -k, ..., G + k
        u = grid * _unit_interval(x, knots, k)  # (B, in)
        centres = torch.arange(-k, grid + k + 1, dtype=x.dtype, device=x.device)
        gauss = torch.exp(-(u.unsqueeze(-1) - centres).square())  # (B, in, G + 1)
        return torch.cat([torch.ones_like(u).unsqueeze(-1), gauss], dim=-1)


EDGE_BASES: dict[str, EdgeBasis] = {b.name: b for b in
                                    (BSplineEdges(), ChebyshevEdges(), FourierEdges(), RBFEdges())}


def get_edge_basis(name) -> EdgeBasis:
    """The basis called ``name`` (one of :data:`EDGE_BASES`)."""
    if not isinstance(name, str):
        raise TypeError(f"basis must be a name (str), one of {sorted(EDGE_BASES)}, "
                        f"got {type(name).__name__}")
    if name not in EDGE_BASES:
        raise ValueError(f"unknown basis {name!r}; expected one of {sorted(EDGE_BASES)}")
    return EDGE_BASES[name]
