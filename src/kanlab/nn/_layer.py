"""KANLayer: a learnable B-spline plus a fixed base function on every edge.

Liu et al., "KAN: Kolmogorov–Arnold Networks" (2024), eq. 2.10: each edge
``(i -> j)`` computes ``φ_ij(x) = w_b,ij · b(x) + w_s,ij · Σ_b c_ijb B_b(x)``.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from kanlab._compat import is_fake, is_functorch_wrapped
from kanlab._validation import check_allocation, check_device, check_float, check_float_dtype, \
    check_int
from kanlab.nn._edge_bases import DEFAULT_BASIS, get_edge_basis
from kanlab.nn._edge_rms import edge_rms
from kanlab.nn._extrapolation import CORRECTED, beyond_grid, curvature_features, curvature_output
from kanlab.nn._layer_knots import initial_knots
from kanlab.nn._saved_continuation import SavedContinuation
from kanlab.nn._saved_grid_eps import SavedGridEps
from kanlab.nn._scripting import NotScriptable
from kanlab.nn._stamp import Stamped
from kanlab.nn._value_checks import check_layer_input
from kanlab.ops._base_functions import BASE_FUNCTIONS, resolve_base_fun
from kanlab.ops._kan_linear import (SplineSpec, combined_weight, edge_weights, features,
                                    kan_linear)
from kanlab.splines._bspline import EXTRAPOLATIONS, check_knots
from kanlab.splines._tables import SpanTables, cardinal_matrix, span_tables

__all__ = ["KANLayer", "BASE_FUNCTIONS", "resolve_base_fun"]


def layer_elements(n_in: int, n_out: int, grid: int, k: int, n_basis: int) -> int:
    """Values a layer allocates: knots, coefficients, scales and mask (before any tables)."""
    return n_in * (grid + 2 * k + 1) + n_out * n_in * (n_basis + 3)


def _refresh_after_load(module: "KANLayer", incompatible_keys) -> None:
    module._refresh_knots()


class KANLayer(SavedGridEps, SavedContinuation, NotScriptable, Stamped, nn.Module):
    r"""A layer of ``in_features × out_features`` learnable edge functions.

    ``y_j = Σ_i mask_ij · (scale_base_ij · b(x_i) + scale_sp_ij · Σ_b coef_jib B_ib(x_i))``

    where ``B_ib`` are the degree-``k`` B-splines on input ``i``'s knots.

    Parameters
    ----------
    in_features
        size of each input sample.
    out_features
        size of each output sample.
    grid
        number of grid intervals ``G``; each edge has ``G + k`` coefficients.
    k
        spline degree.
    grid_range
        ``(lo, hi)`` for every input, or one pair per input.
    base_fun
        residual function ``b``: ``"silu"`` (default), ``"gelu"``,
        ``"tanh"``, ``"identity"``, ``"zero"``/``None``, or a callable.
    noise_scale
        scale of the random initial coefficients.
    scale_base_mu, scale_base_sigma
        ``scale_base`` starts uniform in
        ``mu ± sigma / sqrt(in_features)``.
    scale_sp
        ``scale_sp`` starts at ``scale_sp / sqrt(in_features)``.
    generator
        ``torch.Generator`` for the initialisation (global RNG if None).
    basis
        edge function family: ``"bspline"`` (default), ``"chebyshev"``,
        ``"fourier"`` or ``"rbf"`` (see :mod:`kanlab.nn._edge_bases`); the others
        live on the base interval of the knots and use the pure-PyTorch forward.
    grid_eps
        this layer's share of uniform spacing in its grid updates, a float in
        ``[0, 1]`` (pykan's per-layer ``grid_eps``), or None (the default) to follow the
        caller's: the model's ``grid_eps`` in :meth:`KAN.update_grid`, 1.0 in
        :func:`kanlab.nn.update_layer_grid`.  Saved with ``state_dict`` when set
        (:mod:`kanlab.nn._saved_grid_eps`).

    Shape
    -----
    - Input: ``(*, in_features)``.
    - Output: ``(*, out_features)``.

    Attributes
    ----------
    knots
        buffer ``(in_features, G + 2k + 1)``, one knot vector per input.
    coef
        ``(out_features, in_features, G + k)`` spline coefficients.
    scale_base, scale_sp
        ``(out_features, in_features)`` edge scales.
    mask
        buffer ``(out_features, in_features)``; 0 removes an edge.

    Out-of-grid inputs: inside the base interval ``[knots[:, k], knots[:, G+k]]``
    the spline is the B-spline sum; outside it continues as the straight line
    with the end value and slope (``extrapolate="linear"``), so the layer is
    C¹ everywhere and never silently drops to the base function.
    ``extrapolate="quadratic"`` adds the end curvature (``s''(end)·d²/2`` at a
    distance ``d`` beyond the end), so a cubic layer is C² everywhere and
    second derivatives through autograd (PDE losses) do not jump when a sample
    crosses a grid end; it costs an extra term only while some input lies
    beyond the grid.  ``"constant"`` freezes the end value.  ``"extended"`` keeps
    the B-splines of the ``k`` knot intervals beyond each end (pykan's spline: the
    end coefficients shape it there, it fades to 0 at the outermost knots and only
    the base function continues beyond them); ``C^(k-1)`` everywhere.
    ``"extended_quadratic"`` is ``"extended"`` on the first ``k - 1`` extension
    intervals and hands over to ``"quadratic"`` across the outermost one, so it never
    fades to 0 (C² for cubics; :func:`kanlab.splines.local_basis`).
    ``"tapered"`` is ``"quadratic"`` with ``d²/2`` replaced by
    ``φ(d) = L²·(exp(−d/L) − 1 + d/L)``, ``L`` the end's knot interval: C² at the end,
    its curvature fading so that far beyond the grid the spline continues as a straight
    line, and an end curvature's leverage there grows as ``L·d``, not ``d²/2``
    (:mod:`kanlab.splines._taper`).  ``"bounded"`` is
    ``s(e) + s'(e)·L·tanh(δ/L) + s''(e)·L²·(1 − sech(δ/L))`` at ``δ = x − e`` beyond the
    nearest end ``e``, ``L`` the end's knot interval: C² at the end (the quadratic up to
    ``O(δ³)``), levelling off far out, so rows far beyond the grid see at most
    ``s(e) ± s'(e)·L + s''(e)·L²`` (:mod:`kanlab.splines._bounded`).

    Examples
    --------
    >>> layer = KANLayer(3, 2, grid=5, k=3, generator=torch.Generator().manual_seed(0))
    >>> layer(torch.zeros(4, 3)).shape
    torch.Size([4, 2])
    """

    in_features: int
    out_features: int
    grid: int
    k: int
    # no fused plan reads the grid update's setting: setting it keeps the plan
    UNPLANNED = frozenset({"grid_eps"})

    def __init__(self, in_features: int, out_features: int, grid: int = 5, k: int = 3, *,
                 grid_range=(-1.0, 1.0), base_fun="silu", noise_scale: float = 0.3,
                 scale_base_mu: float = 0.0, scale_base_sigma: float = 1.0, scale_sp: float = 1.0,
                 extrapolate: str = "linear", generator: torch.Generator | None = None,
                 basis: str = DEFAULT_BASIS, grid_eps: float | None = None, device=None,
                 dtype=None) -> None:
        super().__init__()
        check_float_dtype(dtype, "KANLayer")
        device = check_device(device, "KANLayer")
        factory_kwargs = {"device": device, "dtype": dtype}
        self.in_features = in_features = check_int(in_features, "in_features", low=1)
        self.out_features = out_features = check_int(out_features, "out_features", low=1)
        self.grid = grid = check_int(grid, "grid", low=1)
        k = check_int(k, "spline degree k", low=0)
        if extrapolate not in EXTRAPOLATIONS:
            raise ValueError(f"extrapolate must be one of {EXTRAPOLATIONS}, got {extrapolate!r}")
        if extrapolate == "extended_quadratic" and k < 1:
            raise ValueError("extrapolate='extended_quadratic' needs a degree k >= 1 (extension "
                             "intervals to hand over on); use 'quadratic' for k = 0")
        self.k = k
        self.extrapolate = extrapolate
        self.edge_basis = get_edge_basis(basis)
        self.basis_name = self.edge_basis.name
        self.base_fun_name, self.base_fun = resolve_base_fun(base_fun)
        self.noise_scale = check_float(noise_scale, "noise_scale", low=0.0)
        self.grid_eps = grid_eps  # validated by the setting (kanlab.nn._saved_grid_eps)
        self.scale_base_mu = float(scale_base_mu)
        self.scale_base_sigma = float(scale_base_sigma)
        self.scale_sp_init = float(scale_sp)
        n_basis = self.edge_basis.n_basis(grid, k)
        check_allocation(layer_elements(in_features, out_features, grid, k, n_basis), dtype,
                         device, f"KANLayer({in_features}, {out_features}, grid={grid}, k={k})")
        self.register_buffer("knots", initial_knots(in_features, grid, k, grid_range,
                                                    **factory_kwargs))
        self.coef = nn.Parameter(torch.empty(out_features, in_features, n_basis, **factory_kwargs))
        self.scale_base = nn.Parameter(torch.empty(out_features, in_features, **factory_kwargs))
        self.scale_sp = nn.Parameter(torch.empty(out_features, in_features, **factory_kwargs))
        self.register_buffer("mask", torch.ones(out_features, in_features, **factory_kwargs))
        self._uniform = True
        self._refresh_knots()
        self.register_load_state_dict_post_hook(_refresh_after_load)
        self.reset_parameters(generator)

    @property
    def n_basis(self) -> int:
        """Number of coefficients per edge (``G + k`` for B-splines)."""
        return self.coef.shape[-1]

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Draw the initial coefficients and scales (pykan's initialisation)."""
        def rand(*shape):
            # drawn where the generator lives (CPU's global one if None), so the draw is the
            # same on every device and torch.set_default_device("cuda") takes a CPU generator
            u = torch.rand(*shape, generator=generator, dtype=torch.float64,
                           device="cpu" if generator is None else generator.device)
            return u.to(device=self.coef.device, dtype=self.coef.dtype)

        self.coef.copy_((rand(*self.coef.shape) - 0.5) * self.noise_scale / self.grid)
        spread = (2 * rand(*self.scale_base.shape) - 1) / math.sqrt(self.in_features)
        self.scale_base.copy_((self.scale_base_mu + self.scale_base_sigma * spread) * self.mask)
        self.scale_sp.fill_(self.scale_sp_init / math.sqrt(self.in_features)).mul_(self.mask)

    def _refresh_knots(self) -> None:
        """Derived knot data: whether every row is equally spaced (one shared
        polynomial matrix) and otherwise the span tables, as non-persistent buffers."""
        if self.knots.is_meta:  # shapes only: nothing to derive
            self._uniform = True
        else:
            steps = self.knots.diff(dim=-1)  # (in, m - 1)
            spread = (steps.amax(-1) - steps.amin(-1)) / steps.mean(-1)
            self._uniform = bool((spread < 1e3 * torch.finfo(self.knots.dtype).eps).all())
        tables = None if self._uniform else span_tables(self.knots, self.k)
        for name in ("origin", "last", "coef"):
            value = None if tables is None else getattr(tables, name)
            self.register_buffer(f"_span_{name}", value, persistent=False)
        # The C++ kernels read one span's (powers, bases) matrix contiguously.
        table = None if tables is None else tables.coef.permute(1, 2, 0, 3).contiguous()
        self.register_buffer("_span_table", table, persistent=False)

    def _tables(self) -> SpanTables | None:
        if self._uniform:
            return None
        return SpanTables(self._span_origin, self._span_last, self._span_coef)

    @torch.no_grad()
    def set_grid(self, knots: Tensor, coef: Tensor) -> None:
        """Replace the knots and the coefficients together (the grid may change size).

        Parameters
        ----------
        knots
            ``(in_features, G + 2k + 1)``, non-decreasing rows.
        coef
            ``(out_features, in_features, G + k)``.
        """
        check_knots(knots, self.k)
        grid = knots.shape[-1] - 2 * self.k - 1
        expected = (self.out_features, self.in_features, self.edge_basis.n_basis(grid, self.k))
        if knots.shape[0] != self.in_features or tuple(coef.shape) != expected:
            raise ValueError(f"set_grid expects knots ({self.in_features}, {grid + 2 * self.k + 1}) "
                             f"and coef {expected} ({self.basis_name} basis), got {tuple(knots.shape)} and {tuple(coef.shape)}")
        self.grid = grid
        self.knots = knots.to(self.knots).contiguous()
        if coef.shape == self.coef.shape:
            self.coef.copy_(coef)
        else:
            self.coef = nn.Parameter(coef.to(self.coef).contiguous(),
                                     requires_grad=self.coef.requires_grad)
        self._refresh_knots()

    def check_input(self, x: Tensor) -> None:
        """Raise a clear error unless ``x`` is a valid ``(*, in_features)`` input.

        Shape and dtype are always checked (metadata only).  While
        :func:`kanlab.config.set_checks` is on (the default) the values are checked
        too, at the cost of one reduction: NaN, inf, or inputs so large that
        the linear extension would overflow the dtype raise
        :class:`kanlab.NonFiniteError` (a ``ValueError``).
        A 1-D input ``(in_features,)`` is one sample, as for ``nn.Linear``.
        """
        check_layer_input(self, x)

    def basis(self, x: Tensor) -> Tensor:
        """Every edge function of every input at ``x`` ``(B, in_features)``, densely:
        ``(B, in_features, n_basis)``.

        For B-splines at most ``k + 1`` entries per row are non-zero (linear
        extrapolation keeps ``k + 1`` too).
        """
        return self.edge_basis.evaluate(x, self.knots, self.k, uniform=self._uniform,
                                        extrapolate=self.extrapolate, tables=self._tables())

    def edge_weight(self) -> tuple[Tensor, Tensor]:
        """Effective weights ``(base, spline)``: ``(out, in)`` and ``(out, in, n_basis)``."""
        return edge_weights(self.coef, self.scale_base, self.scale_sp, self.mask)

    def feature_weight(self, masked: bool = True) -> Tensor:
        """``[scale_base | scale_sp · coef]`` per edge, masked unless told otherwise:
        ``(out, in, S)``, the weights of :meth:`features` (no base column without a
        base function)."""
        return combined_weight(self.coef, self.scale_base, self.scale_sp,
                               self.mask if masked else None, self.base_fun is not None)

    def spline_spec(self) -> SplineSpec:
        """The layer's spline and base function as :func:`kanlab.ops.kan_linear` takes them.

        Made once per knot state: kept while the knot tensor, its version (in-place
        updates) and the spline's settings stay the same, so a forward pass does not
        rebuild it and its kernel arguments every call.
        """
        knots = self.knots
        if torch.compiler.is_compiling() or is_fake(knots) or is_functorch_wrapped(knots):
            return self._make_spec()  # traced: built afresh, never kept (must not outlive it)
        key = (knots, knots._version, self._uniform, self._span_table, self.k,
               self.extrapolate, self.base_fun_name, self.base_fun, self.edge_basis)
        cached = self.__dict__.get("_spec_cache")
        if cached is not None and len(cached[0]) == len(key) and all(
                a is b or (type(a) is not Tensor and a == b) for a, b in zip(cached[0], key)):
            return cached[1]
        spec = self._make_spec()
        self.__dict__["_spec_cache"] = (key, spec)
        return spec

    def _make_spec(self) -> SplineSpec:
        if self._uniform:
            table = cardinal_matrix(self.k, self.knots.dtype, self.knots.device)
        else:
            table = self._span_table
        return SplineSpec(self.knots, table, self._tables(), self.k, self._uniform,
                          self._kernel_extrapolate(), self.base_fun_name, self.base_fun,
                          None if self.edge_basis.fused else self.basis)

    def _kernel_extrapolate(self) -> str:
        """The continuation the kernels compute: ``"quadratic"`` and ``"extended"`` are their
        ``"linear"`` plus :func:`kanlab.nn._extrapolation.curvature_features` (so they keep
        the kernels' speed)."""
        return "linear" if self.extrapolate in CORRECTED else self.extrapolate

    def forward(self, x: Tensor) -> Tensor:
        self.check_input(x)
        # A batch (B, in) goes as it is: a reshape would add two view nodes to the graph.
        flat = x if x.dim() == 2 else x.reshape(-1, self.in_features)
        y = kan_linear(flat, self.coef, self.scale_base, self.scale_sp, self.mask,
                       self.spline_spec())
        if beyond_grid(self, flat):
            y = y + curvature_output(self, flat)
        return y if x.dim() == 2 else y.reshape(*x.shape[:-1], self.out_features)

    def features(self, x: Tensor) -> Tensor:
        """Base function (if any) and basis functions per input: ``(B, in, S)``, base first.

        ``S`` is ``n_basis + 1`` with a base function and ``n_basis`` without; the
        matching weights are :meth:`feature_weight`.
        """
        feats = features(x, self.spline_spec())
        if beyond_grid(self, x):
            extra = curvature_features(self, x)  # the spline columns only
            feats = feats + torch.nn.functional.pad(extra, (feats.shape[-1] - extra.shape[-1], 0))
        return feats

    def edge_values(self, x: Tensor) -> Tensor:
        """Every edge's output ``φ_ij(x_i)`` at ``x`` ``(B, in_features)``:
        ``(B, out_features, in_features)``.

        Meant for analysis and plots on modest batches; the forward pass never builds it.
        """
        return torch.einsum("bif,oif->boi", self.features(x), self.feature_weight())

    def edge_rms(self, x: Tensor) -> Tensor:
        """Root-mean-square of every edge's output over the batch, ``(out, in)``.

        Computed from the per-input Gram matrix of the features, so no
        ``(B, out, in)`` tensor is formed: ``mean_b φ_ij(x_bi)² = w_ijᵀ M_i w_ij``.
        """
        return edge_rms(self.features(x), self.feature_weight())

    def forward_and_rms(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Output ``(B, out)`` and :meth:`edge_rms` ``(out, in)`` from one feature tensor.

        A regularised fit needs both; computing the basis once instead of in
        the forward pass and again for the RMS cuts its cost per evaluation.
        """
        self.check_input(x)
        feats = self.features(x)  # (B, in, S)
        w = self.feature_weight()  # (out, in, S)
        return F.linear(feats.flatten(1), w.flatten(1)), edge_rms(feats, w)

    def curvature_quadrature(self) -> tuple[Tensor, Tensor] | None:
        """The smoothness penalty's quadrature of the edge functions' second derivatives,
        ``(d2 (in, Q, n_basis), weights (in, Q))`` (see
        :meth:`kanlab.nn.EdgeBasis.curvature_quadrature`), kept until the knots change.

        Raises
        ------
        ValueError
            The layer's edge basis has no smoothness penalty.
        """
        knots = self.knots  # replaced on grid updates; the key holds it (an id() can be reused)
        cache = self.__dict__.get("_curvature_cache")
        key = (knots, knots._version, knots.dtype, knots.device)
        if cache is None or cache[0][0] is not knots or cache[0][1:] != key[1:]:
            cache = (key,
                     self.edge_basis.curvature_quadrature(knots, self.k))
            self.__dict__["_curvature_cache"] = cache
        return cache[1]

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"grid={self.grid}, k={self.k}, base_fun={self.base_fun_name!r}"
                + ("" if self.basis_name == DEFAULT_BASIS else f", basis={self.basis_name!r}")
                + ("" if self.grid_eps is None else f", grid_eps={self.grid_eps}"))
