"""One-layer KANs fitted as penalised linear models in their coefficients.

A KAN ``[d, n_out]`` with identity base function computes, per output ``o``,
``f_o(z) = Σ_i w_oi·z_i + Σ_i s_oi(z_i)`` with cubic splines ``s_oi`` on fixed
knots: a generalised additive model that is linear in its coefficients.  Its
training problem (squared error or cross-entropy, plus a ridge penalty ``α`` on
the linear weights and the smoothness penalty ``λ ∫ s''²`` on the splines) is
therefore convex and is solved here exactly (least squares) or to convergence
(L-BFGS), instead of by many gradient steps.

Each spline block is made orthogonal to ``[1, z_i]`` on the training data, so
the splines carry only curvature: at large ``λ`` the model is exactly ridge
regression with ``α`` (the near-linear limit), and the linear part stays
shrunk by ``α`` whatever ``λ`` is.  :func:`to_module` folds the projection back
into the KAN's parameters, so ``module(z)`` reproduces the fitted model.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy import linalg, optimize

from kanlab.nn._network import KAN

__all__ = ["Design", "build_design", "loo_path", "fit_logistic", "to_module"]

_JITTER = 1e-8  # ridge on the spline coefficients, relative to their mean squared column


@dataclass
class Design:
    """The model's columns: ``[z (d) | projected spline blocks]`` and their penalties."""

    knots: np.ndarray  # (d, G + 2k + 1)
    grid: int
    k: int
    spline_features: list[int]
    columns: np.ndarray  # (n, p)
    projections: list[np.ndarray]  # per spline feature, (2, n_basis): [1, z_i] part removed
    bases: list[np.ndarray]  # per spline feature, (n_basis, r): coefficients = V @ block weights
    smooth: np.ndarray  # (p, p) smoothness penalty (zero on the linear block)
    jitter: np.ndarray  # (p,) small ridge on the spline block

    @property
    def n_linear(self) -> int:
        return self.knots.shape[0]


def _layer(knots: np.ndarray, k: int):
    """A float64 KAN layer ``[d, 1]`` on ``knots`` (its basis and curvature are the model's)."""
    d, grid = knots.shape[0], knots.shape[1] - 2 * k - 1
    layer = KAN([d, 1], grid=grid, k=k, base_fun="identity", dtype=torch.float64,
                device="cpu").layers[0]
    layer.set_grid(torch.as_tensor(knots, device="cpu"),
                   torch.zeros(1, d, grid + k, dtype=torch.float64, device="cpu"))
    return layer


def _smoothness_matrix(knots: np.ndarray, k: int) -> np.ndarray:
    """``(d, nb, nb)``: ``c ↦ L³ ∫ (Σ c_b B_b'')²`` per feature (second differences if k < 2),
    the quadratic form of :func:`kanlab.train.smoothness_penalty` for one edge."""
    nb = knots.shape[1] - k - 1
    with torch.no_grad():
        quadrature = _layer(knots, k).curvature_quadrature()
    if quadrature is None:  # k < 2
        diff = np.diff(np.eye(nb), n=2, axis=0)
        return np.broadcast_to(diff.T @ diff, (knots.shape[0], nb, nb)).copy()
    d2, w = (q.to(torch.float64) for q in quadrature)  # (d, Q, nb), (d, Q)
    t = torch.as_tensor(knots, dtype=torch.float64, device="cpu")
    length = t[:, nb] - t[:, k]
    gram = torch.einsum("iqb,iq,iqc->ibc", d2, w, d2) * length.pow(3)[:, None, None]
    return gram.numpy()


def basis_values(knots: np.ndarray, k: int, z: np.ndarray) -> np.ndarray:
    """``(n, d, G + k)`` B-spline values with the KAN layer's own evaluation (linear extension)."""
    with torch.no_grad():
        return _layer(knots, k).basis(torch.as_tensor(z, dtype=torch.float64,
                                                      device="cpu")).numpy()


def _reparametrise(block: np.ndarray, penalty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(V (nb, r), μ (r,))`` with ``(block V)ᵀ(block V) = n·I`` and ``Vᵀ penalty V = diag(μ)``.

    The Demmler–Reinsch basis of one spline block: the directions the data
    cannot see (the linear functions projected out) are dropped, the rest are
    orthonormal on the data and diagonalise the smoothness penalty, so the
    optimisers work on a well-conditioned problem.
    """
    n = block.shape[0]
    e, U = np.linalg.eigh(block.T @ block / n)
    keep = e > 1e-9 * max(float(e.max()), 1e-300)
    T = U[:, keep] / np.sqrt(e[keep])
    mu, Q = np.linalg.eigh(T.T @ penalty @ T)
    return T @ Q, np.clip(mu, 0.0, None)


def build_design(z: np.ndarray, kinds: np.ndarray, knots: np.ndarray, k: int) -> Design:
    n, d = z.shape
    grid = knots.shape[1] - 2 * k - 1
    spline_features = [i for i in range(d) if kinds[i] == 2]
    blocks, projections, bases, mus = [], [], [], []
    sub = knots[spline_features]
    basis = basis_values(sub, k, z[:, spline_features]) if spline_features else None
    mats = _smoothness_matrix(sub, k) if spline_features else None
    for j, i in enumerate(spline_features):
        q = np.column_stack([np.ones(n), z[:, i]])
        b = basis[:, j, :]
        m, *_ = np.linalg.lstsq(q, b, rcond=None)  # (2, nb)
        V, mu = _reparametrise(b - q @ m, mats[j])
        blocks.append((b - q @ m) @ V)
        projections.append(m)
        bases.append(V)
        mus.append(mu)
    lin = np.where(kinds[None, :] > 0, z, 0.0)
    columns = np.column_stack([lin, *blocks]) if blocks else lin
    p = columns.shape[1]
    smooth = np.zeros(p)
    jitter = np.zeros(p)
    if spline_features:
        mu = np.concatenate(mus)
        # put λ on the scale of the data term: the columns have mean square 1, so
        # λ = 1 weighs the average curvature like n samples
        smooth[d:] = mu * (n * len(mu) / max(float(mu.sum()), 1e-300))
        jitter[d:] = _JITTER * n
    return Design(knots, grid, k, spline_features, columns, projections, bases,
                  np.diag(smooth), jitter)


def loo_path(F: np.ndarray, T: np.ndarray, fixed: np.ndarray, smooth: np.ndarray,
             lambdas) -> list[tuple[float, np.ndarray]]:
    """Exact leave-one-out MSE and coefficients of penalised least squares along ``λ``.

    Minimises ``|T - 1b - F W|² + tr(Wᵀ (fixed + λ·smooth) W)`` (intercept
    unpenalised) for every ``λ``.  One Cholesky factorisation and one symmetric
    eigendecomposition serve the whole path: with ``M = FᵀF + fixed = LLᵀ``
    and ``L⁻¹ smooth L⁻ᵀ = U diag(e) Uᵀ``, the hat matrix is
    ``R diag(1 / (1 + λe)) Rᵀ`` with ``R = F L⁻ᵀ U``.

    Returns:
        per λ, ``(loo, W, b)``; ``loo`` ``(n,)`` is every sample's squared
        leave-one-out residual, averaged over the outputs.
    """
    n = F.shape[0]
    mean_f, mean_t = F.mean(axis=0), T.mean(axis=0)
    Fc, Tc = F - mean_f, T - mean_t
    M = Fc.T @ Fc + fixed
    L = linalg.cholesky(M + 1e-12 * np.trace(M) / len(M) * np.eye(len(M)), lower=True)
    A = linalg.solve_triangular(L, linalg.solve_triangular(L, smooth, lower=True).T, lower=True)
    e, U = linalg.eigh((A + A.T) / 2)
    e = np.clip(e, 0.0, None)
    back = linalg.solve_triangular(L.T, U, lower=False)  # L⁻ᵀ U
    R = Fc @ back
    RtT = R.T @ Tc
    out = []
    for lam in lambdas:
        shrink = 1.0 / (1.0 + lam * e)
        fitted = R @ (RtT * shrink[:, None])
        h = (R ** 2) @ shrink + 1.0 / n
        resid = (Tc - fitted) / np.clip(1.0 - h, 1e-6, None)[:, None]
        W = back @ (RtT * shrink[:, None])
        out.append((np.mean(resid ** 2, axis=1), W, mean_t - mean_f @ W))
    return out


def fit_logistic(F: np.ndarray, codes: np.ndarray, n_classes: int, penalty: np.ndarray,
                 weights: np.ndarray, max_iter: int, start=None):
    """Multinomial logistic regression on ``F`` with the quadratic penalty ``½ tr(Wᵀ P W)``.

    The loss is the weighted sum of the samples' cross-entropies (as in
    scikit-learn's ``LogisticRegression``, whose default is ``P = I`` on
    standardised features), minimised by L-BFGS to a gradient tolerance or
    ``max_iter`` iterations.  The columns are rescaled to unit root-mean-square
    for the optimiser (a diagonal preconditioner), which cuts the iterations
    several-fold on spline columns; ``start`` is a previous result's ``theta``
    for the same rows (a warm start).

    Returns:
        ``(W (p, C), b (C,), iterations, loss curve, theta)``.
    """
    n, p = F.shape
    s = np.sqrt(np.mean(F ** 2, axis=0) + np.diag(penalty) / n)
    s = np.where(s > 1e-12, s, 1.0)
    # the data term in float32 (half the memory traffic of the two big products),
    # reductions and the penalty in float64
    Fs = (F / s).astype(np.float32)
    Ps = penalty / s[:, None] / s[None, :]
    Y = np.zeros((n, n_classes), dtype=np.float32)
    Y[np.arange(n), codes] = 1.0
    w32 = weights.astype(np.float32)[:, None]
    wY = w32 * Y
    curve = []

    def objective(theta):
        W = theta[:p * n_classes].reshape(p, n_classes)
        b = theta[p * n_classes:]
        logits = Fs @ W.astype(np.float32) + b.astype(np.float32)
        logits -= logits.max(axis=1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        pw = Ps @ W
        loss = -float(np.sum(wY * logp, dtype=np.float64)) + 0.5 * float(np.sum(W * pw))
        G = w32 * np.exp(logp) - wY
        grad = np.concatenate([(Fs.T @ G).astype(np.float64).ravel() + pw.ravel(),
                               G.sum(axis=0, dtype=np.float64)])
        curve.append(loss)
        return loss, grad

    theta0 = np.zeros(p * n_classes + n_classes) if start is None else start
    res = optimize.minimize(objective, theta0, jac=True, method="L-BFGS-B",
                            options={"maxiter": max_iter, "gtol": 1e-4 * max(1.0, weights.sum())})
    W = res.x[:p * n_classes].reshape(p, n_classes) / s[:, None]
    return W, res.x[p * n_classes:], int(res.nit), curve, res.x


def to_module(design: Design, W: np.ndarray, b: np.ndarray, seed: int,
              dtype: torch.dtype) -> KAN:
    """A KAN ``[d, n_out]`` (identity base function) computing ``b + F(z) W`` exactly, on the CPU."""
    d, k, grid = design.n_linear, design.k, design.grid
    nb = grid + k
    n_out = W.shape[1]
    base = W[:d].T.copy()  # (out, d)
    coef = np.zeros((n_out, d, nb))
    const = np.asarray(b, dtype=np.float64).copy()
    start = d
    for j, i in enumerate(design.spline_features):
        V = design.bases[j]
        c = (V @ W[start:start + V.shape[1]]).T  # (out, nb)
        start += V.shape[1]
        m = c @ design.projections[j].T  # (out, 2): the [1, z_i] part removed from the block
        coef[:, i, :] = c
        const -= m[:, 0]
        base[:, i] -= m[:, 1]
    coef[:, 0, :] += const[:, None]  # B-splines sum to 1 (also beyond the grid): a constant
    model = KAN([d, n_out], grid=grid, k=k, seed=seed, base_fun="identity", dtype=dtype,
                device="cpu")
    layer = model.layers[0]
    with torch.no_grad():
        layer.set_grid(torch.as_tensor(design.knots, device="cpu"),
                       torch.as_tensor(coef, device="cpu"))
        layer.scale_base.copy_(torch.as_tensor(base, device="cpu"))
        layer.scale_sp.fill_(1.0)
    return model
