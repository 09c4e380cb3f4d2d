"""Older pykan habits that kanlab.pykan accepts, each with its rule stated once.

* **Inputs of another dtype.**  pykan's notebooks feed numpy's float64 arrays
  (and 0/1 integer one-hot codes) to float32 models.  :func:`as_model_input`
  casts a real tensor (floating, integer or bool) to the model's dtype; complex
  tensors are refused.  The cast is differentiable, so ``requires_grad`` inputs
  (PDE losses) keep their graph.  The native :class:`kanlab.nn.KAN` raises on a
  dtype mismatch instead.
* **'cuda' on a machine without CUDA.**  Tutorials written for a GPU ask for
  ``device='cuda'`` by name.  :func:`available_device` answers ``'cpu'`` for a
  CUDA device when ``torch.cuda.is_available()`` is False and says so with a
  :class:`RuntimeWarning`; every other device is passed on unchanged (and
  checked by kanlab).  pykan itself raises "Torch not compiled with CUDA".
* **Global seeding.**  pykan's ``KAN(seed=...)`` seeds torch's, numpy's and
  Python's global random generators, and ``create_dataset(seed=...)`` torch's
  and numpy's; notebooks draw their own data afterwards (``torch.rand``) and rely
  on it.  :func:`seed_globals` does the same, in this module only: kanlab's
  native API never touches the global generators.
* **``noise_scale_base``** (pykan < 0.1): the spread of the residual base
  weights around ``1/sqrt(n_in)``.  :func:`apply_noise_scale_base` sets every
  layer's ``scale_base`` to ``1/sqrt(n_in) + noise_scale_base · U(-1, 1)``
  (drawn from the model's seed) and warns that pykan >= 0.1 names this
  ``scale_base_mu``/``scale_base_sigma``.
* **Same seed, same initial model.**  :func:`draw_initial_weights` draws every
  layer's initial coefficients and base weights from the seed in pykan's order
  and layout: per layer, ``U(-1/2, 1/2) · noise_scale / G`` at the ``G + 1``
  grid points (fitted by least squares to spline coefficients), then
  ``scale_base_mu / sqrt(n_in) + scale_base_sigma · U(-1, 1) / sqrt(n_in)``.
  kanlab's native draws have the same distribution in another order, so a
  notebook's ``seed=1`` would start from another model than pykan's; a model's
  fate can hang on its start (a ``[2, 1, 1]`` chain whose two edges start with
  opposite slopes can stay in a local minimum), and pykan users pick seeds by it.
  ``kanlab.pykan.create_dataset`` does the same for its inputs (pykan draws them
  one variable at a time, training column then test column).
"""
from __future__ import annotations

import math
import warnings

import torch
from torch import Tensor

__all__ = ["as_model_input", "available_device", "apply_noise_scale_base", "draw_initial_weights",
           "initial_coef", "seed_globals"]


def seed_globals(seed, python: bool = True) -> None:
    """Seed torch's and numpy's (and Python's) global generators, as pykan does."""
    import random

    import numpy as np
    seed = int(seed)
    torch.manual_seed(seed)
    np.random.seed(seed % 2 ** 32)
    if python:
        random.seed(seed)


def as_model_input(model, x):
    """``x`` in the model's dtype when it is a real tensor of another dtype (see module doc)."""
    if not isinstance(x, Tensor):
        return x
    if x.dtype == model.dtype:
        return x
    if x.is_complex():
        raise TypeError(f"a KAN takes real inputs, got a tensor of dtype {x.dtype}")
    return x.to(model.dtype)


def available_device(device):
    """``device``, or ``'cpu'`` (with a RuntimeWarning) for CUDA when CUDA is not available."""
    if device is None or isinstance(device, (int, bool)):
        return device
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError):
        return device  # kanlab's own check gives the clear error
    if parsed.type == "cuda" and not torch.cuda.is_available():
        warnings.warn(f"device {str(device)!r} asked for, but CUDA is not available here: "
                      "kanlab.pykan uses the CPU instead", RuntimeWarning, stacklevel=3)
        return "cpu"
    return device


@torch.no_grad()
def apply_noise_scale_base(model, noise_scale_base, seed) -> None:
    """Set base weights to ``1/sqrt(n_in) + noise_scale_base · U(-1, 1)`` (pykan < 0.1)."""
    value = float(noise_scale_base)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"noise_scale_base must be a finite number >= 0, got {noise_scale_base!r}")
    warnings.warn("noise_scale_base is pykan < 0.1's keyword: base weights are set to "
                  "1/sqrt(n_in) + noise_scale_base*U(-1, 1); pykan >= 0.1 uses "
                  "scale_base_mu and scale_base_sigma", FutureWarning, stacklevel=3)
    generator = torch.Generator().manual_seed(int(seed))
    for layer in model.layers:
        spread = 2 * torch.rand(layer.scale_base.shape, generator=generator,
                                dtype=torch.float64, device="cpu") - 1
        weights = 1.0 / math.sqrt(layer.in_features) + value * spread
        layer.scale_base.copy_(weights.to(layer.scale_base))


def _round_mantissa(x: Tensor, bits: int) -> Tensor:
    """``x`` with every mantissa rounded to ``bits`` bits (exact zeros stay zero)."""
    mantissa, exponent = torch.frexp(x)
    return torch.ldexp(torch.round(mantissa * 2.0 ** bits) / 2.0 ** bits, exponent)


def initial_coef(noise: Tensor, knots: Tensor, k: int) -> Tensor:
    """pykan's initial spline coefficients ``(in, out, G + k)``: the least-squares fit of
    ``noise`` ``(G + 1, in, out)`` at the grid points of ``knots`` ``(in, G + 2k + 1)``,
    in ``noise``'s dtype."""
    from kanlab.pykan.spline import B_batch
    drawn = noise.dtype
    points = knots[:, k:knots.shape[1] - k].T  # (G + 1, in): the grid points
    # G + 1 values for G + k coefficients: pykan takes torch.linalg.lstsq's float32
    # answer, whose rank cut (float32 eps) drops a direction from G = 10 on, so its
    # splines then miss the noise by about its size.  The same cut in float64 gives
    # that answer to ~1e-8, deterministically (float32 lstsq differs by ~1e-8 per call).
    basis = B_batch(points, knots, k).transpose(0, 1).double()  # (in, G + 1, G + k)
    rhs = noise.permute(1, 0, 2).double()  # (in, G + 1, out)
    cut = torch.finfo(drawn).eps * max(basis.shape[-2:])
    coef = torch.linalg.lstsq(basis, rhs, rcond=cut, driver="gelsd").solution
    # lstsq's last bits vary from process to process (~1e-17: LAPACK's blocked paths
    # depend on run-time conditions); a float64 model would start from a different draw
    # each run and chaotic fits amplify that (Interp_1: cell 8 differed in 5 of 17 runs).
    # Rounded to 40 mantissa bits (1e-12 relative) the draw is the same every run; in
    # float32 the cast below rounds it anyway
    coef = _round_mantissa(coef, 40)
    return coef.permute(0, 2, 1).to(drawn)  # (in, out, G + k), in pykan's dtype


@torch.no_grad()
def draw_initial_weights(model, seed, noise_scale: float, scale_base_mu: float,
                         scale_base_sigma: float) -> None:
    """Every layer's ``coef`` and ``scale_base`` drawn from ``seed`` as pykan draws them: from
    torch's global generator, seeded with ``seed`` (pykan's side effect, kept in this adapter),
    which is left where pykan leaves it."""
    torch.manual_seed(int(seed))
    generator = None  # the global one, as pykan
    drawn = torch.get_default_dtype()
    host = dict(generator=generator, dtype=drawn, device="cpu")  # CPU draws, then moved
    for layer in model.layers:
        n_in, n_out, g, k = layer.in_features, layer.out_features, layer.grid, layer.k
        # pykan draws in torch's default dtype whatever the model's dtype
        noise = (torch.rand(g + 1, n_in, n_out, **host) - 0.5) \
            * noise_scale / g
        coef = initial_coef(noise, layer.knots.detach().to(drawn).cpu(), k)  # (in, out, G + k)
        layer.coef.copy_(coef.permute(1, 0, 2).to(layer.coef) * layer.mask.unsqueeze(-1))
        spread = (torch.rand(n_in, n_out, **host) * 2 - 1) \
            / math.sqrt(n_in)
        base = scale_base_mu / math.sqrt(n_in) + scale_base_sigma * spread.to(torch.float64)
        layer.scale_base.copy_(base.T.to(layer.scale_base) * layer.mask)
