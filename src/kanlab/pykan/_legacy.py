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
* **``noise_scale_base``** (pykan 0.0.x, before June 2024): a model built with it
  starts from the model pykan 0.0.x built from the same call
  (:func:`draw_pykan_00`): from torch's global generator seeded with ``seed``, per
  layer ``scale_base = 1/sqrt(n_in) + (N(0, 1)·2 − 1)·noise_scale_base``, the
  splines fitted to ``U(-1/2, 1/2)·noise_scale/G`` at the grid points,
  ``scale_sp = 1``, then the draw of 0.0.x's bias layer; where the call leaves
  them out, 0.0.x's defaults ``seed=0`` and ``noise_scale=0.1``
  (:func:`pykan_00_defaults`).  A FutureWarning says that pykan >= 0.1 names this
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

__all__ = ["as_model_input", "available_device", "draw_pykan_00", "pykan_00_defaults",
           "DEFAULT_SEED", "DEFAULT_NOISE_SCALE", "draw_initial_weights", "initial_coef",
           "seed_globals"]


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


class _Default(int):
    """A default of ``KAN(...)`` that a pykan 0.0.x call (``noise_scale_base``) replaces by
    0.0.x's own (an ``int`` or ``float`` equal to 0.2.8's default, told apart by identity)."""


class _DefaultFloat(float):
    __doc__ = _Default.__doc__


DEFAULT_SEED, DEFAULT_NOISE_SCALE = _Default(1), _DefaultFloat(0.3)  # pykan 0.2.8's


def pykan_00_defaults(seed, noise_scale, noise_scale_base):
    """``(seed, noise_scale)`` of the call: pykan 0.0.x's 0 and 0.1 for those a call with
    ``noise_scale_base`` left at their default; else as given (plain numbers)."""
    old = noise_scale_base is not None
    seed = 0 if old and seed is DEFAULT_SEED else seed
    noise_scale = 0.1 if old and noise_scale is DEFAULT_NOISE_SCALE else noise_scale
    return (int(seed) if type(seed) is _Default else seed,
            float(noise_scale) if type(noise_scale) is _DefaultFloat else noise_scale)


@torch.no_grad()
def draw_pykan_00(model, seed, noise_scale: float, noise_scale_base) -> None:
    """Every layer's ``coef``, ``scale_base`` and ``scale_sp`` as pykan 0.0.x drew them
    (module doc), from torch's global generator seeded with ``seed``, left where 0.0.x
    leaves it.  pykan 0.0.x's draw, not 0.2.8's, is what its notebooks were written on:
    375baaf's Example_6B_PDE from 0.2.8's draw stalls at pde 12 on grid 5 (4 of 4 seeds),
    from 0.0.x's it reaches 0.52 (the notebook 0.575) (docs/pykan_notebook_runs.md, pde6b)."""
    value = float(noise_scale_base)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"noise_scale_base must be a finite number >= 0, got {noise_scale_base!r}")
    warnings.warn("noise_scale_base is pykan 0.0.x's keyword: the model is drawn as 0.0.x "
                  "drew it; pykan >= 0.1 uses scale_base_mu and scale_base_sigma",
                  FutureWarning, stacklevel=3)
    torch.manual_seed(int(seed))
    drawn = torch.get_default_dtype()  # 0.0.x drew in torch's default dtype, on the CPU
    for layer in model.layers:
        n_in, n_out, g, k = layer.in_features, layer.out_features, layer.grid, layer.k
        base = 1 / math.sqrt(n_in) + (torch.randn(n_in * n_out, dtype=drawn) * 2 - 1) * value
        noise = (torch.rand(n_in * n_out, g + 1, dtype=drawn) - 0.5) * noise_scale / g
        noise = noise.reshape(n_out, n_in, g + 1).permute(2, 1, 0)  # (G + 1, in, out)
        coef = initial_coef(noise, layer.knots.detach().to(drawn).cpu(), k)  # (in, out, G + k)
        layer.coef.copy_(coef.permute(1, 0, 2).to(layer.coef) * layer.mask.unsqueeze(-1))
        layer.scale_base.copy_(base.reshape(n_out, n_in).to(layer.scale_base) * layer.mask)
        layer.scale_sp.copy_(layer.mask)  # 0.0.x's scale_sp = 1
        torch.empty(1, n_out, dtype=drawn).uniform_()  # 0.0.x's bias layer's (1, out) draw


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
