"""The edge bases, B-splines among them, behind one interface.

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

import numpy as np
import torch
from torch import Tensor

from kanlab.splines._basis_function import dense_basis
from kanlab.splines._bspline import bspline_basis
from kanlab.splines._bounded import bounded_lengths
from kanlab.splines._end_constraints import project_keeping_ends
from kanlab.splines._fit import evaluate_spline, fit_coefficients, solve_least_squares

__all__ = ["EdgeBasis", "BSplineEdges", "ChebyshevEdges", "FourierEdges", "RBFEdges",
           "EDGE_BASES", "DEFAULT_BASIS", "get_edge_basis", "domain"]


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

    Subclasses define :attr:`name`, :meth:`n_basis` and :meth:`evaluate`; the
    other methods have generic versions (sampling and least squares) that
    :class:`BSplineEdges` replaces by exact B-spline algorithms.

    Attributes
    ----------
    name : str
        The name a layer is built with (``basis="..."``).
    fused : bool
        Whether the C++ kernels of :mod:`kanlab.ops` compute this family (the
        B-splines); the others run the pure-PyTorch forward.
    uses_knots : bool
        Whether the functions are made from the whole knot vector (the
        B-splines: piecewise polynomials, zero outside their knots, summing to
        one); the other families read only the domain from it.
    """

    name: str = ""
    fused: bool = False
    uses_knots: bool = False

    def n_basis(self, grid: int, k: int) -> int:
        """Number of functions (coefficients per edge) on ``grid`` intervals."""
        raise NotImplementedError

    def evaluate(self, x: Tensor, knots: Tensor, k: int, **knot_options) -> Tensor:
        """Every function at every input.

        Parameters
        ----------
        x : Tensor, shape (B, in)
        knots : Tensor, shape (in, G + 2k + 1)
            Only the domain (and for B-splines the knots themselves) is used.
        k : int
            Spline degree (the knot layout; only B-splines use it as a degree).
        **knot_options
            ``uniform``, ``extrapolate`` and ``tables`` of the B-splines (see
            :func:`kanlab.splines.dense_basis`); the other families continue
            outside their domain in their own way and ignore them.

        Returns
        -------
        Tensor, shape (B, in, n_basis)
            Differentiable in ``x``.
        """
        raise NotImplementedError

    def unit(self, n: int, *, dtype=None, device=None) -> Tensor:
        """Coefficients ``(n,)`` of the constant function 1 (first function: 1)."""
        c = torch.zeros(n, dtype=dtype, device=device)
        c[0] = 1.0
        return c

    def sample(self, x: Tensor, knots: Tensor, coef: Tensor, k: int,
               extrapolate: str = "linear") -> Tensor:
        """Values ``(N, in, p)`` at ``x`` ``(N, in)`` of the functions with coefficients
        ``coef`` ``(in, n_basis, p)`` (``p`` per input: for a layer, one per output)."""
        return torch.einsum("nib,ibp->nip", self.evaluate(x, knots, k), coef)

    def fit(self, x: Tensor, values: Tensor, knots: Tensor, k: int,
            extrapolate: str = "linear") -> Tensor:
        """Least-squares coefficients ``(in, n_basis, p)`` of ``values`` ``(N, in, p)``
        at ``x`` ``(N, in)`` on ``knots``."""
        design = self.evaluate(x, knots, k)  # (N, in, n_basis)
        return solve_least_squares(design.transpose(0, 1), values.transpose(0, 1))

    def transfer(self, knots: Tensor, coef: Tensor, new_knots: Tensor, k: int,
                 extrapolate: str = "linear") -> Tensor:
        """Coefficients on ``new_knots`` (same domain, another grid) of the functions
        ``(knots, coef (in, n_basis, p))``: a least-squares fit on a dense sweep of the
        domain (exact to rounding where the spaces nest, as Chebyshev and Fourier do
        when the grid grows)."""
        grid = new_knots.shape[-1] - 2 * k - 1
        n = self.n_basis(grid, k)
        lo, hi = domain(new_knots, k)
        t = torch.linspace(0, 1, 4 * n + 64, dtype=knots.dtype, device=knots.device)[:, None]
        x = lo * (1 - t) + hi * t  # (S, in)
        return self.fit(x, self.sample(x, knots, coef, k, extrapolate), new_knots, k, extrapolate)

    def max_abs(self, knots: Tensor, k: int, amax: Tensor, extrapolate: str = "linear") -> Tensor:
        """An upper bound ``(in,)``, in float64, of every function's absolute value at inputs
        ``|x_i| <= amax_i`` (float64 ``(in,)``), at least 1.

        These families lie in ``[-1, 1]`` on the domain and are bounded (Fourier,
        RBF) or linear (Chebyshev) outside it: the extremes are at ``±amax`` or at most 1.
        """
        ends = torch.stack([-amax, amax]).to(knots.dtype)  # (2, in)
        edge = self.evaluate(ends, knots, k).to(torch.float64)
        return edge.abs().amax(dim=(0, 2)).clamp_min(1.0)

    def curvature_quadrature(self, knots: Tensor, k: int) -> tuple[Tensor, Tensor] | None:
        """Second derivatives ``(in, Q, n_basis)`` of the functions at quadrature nodes of the
        domain and the weights ``(in, Q)``, for the smoothness penalty; None when the
        penalty uses second differences of the coefficients instead.

        Raises
        ------
        ValueError
            This family has no smoothness penalty (only B-splines have).
        """
        raise ValueError(f"the smoothness penalty needs B-spline edges, got basis "
                         f"{self.name!r}; use lamb_smooth=0 with other bases")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class BSplineEdges(EdgeBasis):
    """Degree-``k`` B-splines on the layer's knots (linear extension outside)."""

    name = "bspline"
    fused = True
    uses_knots = True

    def n_basis(self, grid: int, k: int) -> int:
        return grid + k

    def evaluate(self, x: Tensor, knots: Tensor, k: int, **knot_options) -> Tensor:
        return dense_basis(x, knots, k, **knot_options)

    def unit(self, n: int, *, dtype=None, device=None) -> Tensor:
        # partition of unity: all coefficients 1
        return torch.ones(n, dtype=dtype, device=device)

    def sample(self, x, knots, coef, k, extrapolate="linear"):
        return evaluate_spline(x, knots, coef, k, extrapolate)

    def fit(self, x, values, knots, k, extrapolate="linear"):
        return fit_coefficients(x, values, knots, k, extrapolate=extrapolate)

    def transfer(self, knots, coef, new_knots, k, extrapolate="linear"):
        # exact by knot insertion when the old knots are among the new ones; otherwise the
        # ends' value, slope and curvature are held, so the continuation beyond them is kept.
        # Onto fewer coefficients the function cannot be kept anyway: the plain least-squares
        # projection (held ends would leave a coarse grid almost no free coefficient: grid 4,
        # k 3 keeps one of seven, and a grid-10 spline's interior is lost)
        if new_knots.shape[-1] < knots.shape[-1]:
            return project_keeping_ends(knots, coef, new_knots, k, orders=0)
        return project_keeping_ends(knots, coef, new_knots, k,
                                   orders=2 if extrapolate == "linear" else 3)

    def max_abs(self, knots, k, amax, extrapolate="linear"):
        # every basis is at most 1 + d_i · S_i: d_i the largest distance of an input
        # from the knots, S_i the largest end slope (0 for constant extrapolation)
        knots = knots.to(torch.float64)
        dist = amax + knots.abs().amax(-1)
        if extrapolate in ("constant", "extended") or k == 0:  # B-splines are at most 1
            return torch.ones_like(dist)
        n = knots.shape[-1] - k - 1
        ends = knots[:, [k, n]].t().contiguous()  # (2, in)
        slope = dense_basis(ends, knots, k, derivative=1).abs().amax(dim=(0, 2))  # (in,)
        if extrapolate == "linear":
            return 1.0 + dist * slope
        # "quadratic": plus d²/2 times the largest end curvature ("extended_quadratic" blends
        # B-splines, at most 1, with these: the same bound; "tapered"'s φ(d) <= d²/2)
        curve = dense_basis(ends, knots, k, derivative=2).abs().amax(dim=(0, 2))
        if extrapolate == "bounded":  # |a(δ)| <= min(d, L), b(d) <= min(d²/2, L²)
            length = bounded_lengths(knots, k).amax(0)
            return 1.0 + torch.minimum(dist, length) * slope \
                + torch.minimum(dist * dist / 2, length * length) * curve
        return 1.0 + dist * slope + dist * dist * curve / 2

    def curvature_quadrature(self, knots, k):
        """Gauss–Legendre nodes on every base interval, exact for ``∫ (s'')²`` since
        ``(s'')²`` has degree ``2k - 4``; None for ``k < 2`` (piecewise linear or constant)."""
        if k < 2:
            return None
        m = knots.shape[-1]
        n = m - k - 1
        nodes, weights = np.polynomial.legendre.leggauss(max(k - 1, 1))
        nodes = torch.as_tensor(nodes, dtype=knots.dtype, device=knots.device)
        weights = torch.as_tensor(weights, dtype=knots.dtype, device=knots.device)
        left, right = knots[:, k:n], knots[:, k + 1:n + 1]  # (F, G)
        half = (right - left) / 2
        x = (left + half)[..., None] + half[..., None] * nodes  # (F, G, q)
        w = half[..., None] * weights  # (F, G, q)
        feats = knots.shape[0]
        x = x.reshape(feats, -1)  # (F, Q)
        d2 = bspline_basis(x, knots[:, None, :], k, derivative=2)  # (F, Q, n_basis)
        return d2, w.reshape(feats, -1)


class ChebyshevEdges(EdgeBasis):
    """Chebyshev polynomials ``T_0 .. T_G`` on the domain, linear outside it."""

    name = "chebyshev"

    def n_basis(self, grid: int, k: int) -> int:
        return grid + 1

    def evaluate(self, x: Tensor, knots: Tensor, k: int, **knot_options) -> Tensor:
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

    def evaluate(self, x: Tensor, knots: Tensor, k: int, **knot_options) -> Tensor:
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

    def evaluate(self, x: Tensor, knots: Tensor, k: int, **knot_options) -> Tensor:
        grid = knots.shape[-1] - 2 * k - 1
        # in units of the spacing h = (hi - lo)/G the centres are -k, ..., G + k
        u = grid * _unit_interval(x, knots, k)  # (B, in)
        centres = torch.arange(-k, grid + k + 1, dtype=x.dtype, device=x.device)
        gauss = torch.exp(-(u.unsqueeze(-1) - centres).square())  # (B, in, G + 1)
        return torch.cat([torch.ones_like(u).unsqueeze(-1), gauss], dim=-1)


EDGE_BASES: dict[str, EdgeBasis] = {b.name: b for b in
                                    (BSplineEdges(), ChebyshevEdges(), FourierEdges(), RBFEdges())}
DEFAULT_BASIS = "bspline"  # what layers use unless told otherwise (and checkpoints before bases)


def get_edge_basis(name) -> EdgeBasis:
    """The basis called ``name`` (one of :data:`EDGE_BASES`)."""
    if not isinstance(name, str):
        raise TypeError(f"basis must be a name (str), one of {sorted(EDGE_BASES)}, "
                        f"got {type(name).__name__}")
    if name not in EDGE_BASES:
        raise ValueError(f"unknown basis {name!r}; expected one of {sorted(EDGE_BASES)}")
    return EDGE_BASES[name]
