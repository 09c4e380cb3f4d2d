"""Synthetic regression data: ``create_dataset`` with pykan's keys, and named targets."""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import Tensor

from kanlab._validation import check_int

__all__ = ["create_dataset", "label_inputs", "seed_function", "FUNCTIONS"]


def seed_function(x: Tensor) -> Tensor:
    """``f(x, y) = exp(sin(πx) + y²)``, the KAN paper's running example; ``(N, 2) -> (N, 1)``."""
    return torch.exp(torch.sin(math.pi * x[:, [0]]) + x[:, [1]] ** 2)


FUNCTIONS: dict[str, tuple[str, int]] = {
    # name: (expression in x1..xn, number of variables)
    "seed": ("exp(sin(pi*x1) + x2**2)", 2),
    "product": ("x1*x2", 2),
    "bessel": ("besselj(0, 20*x1)", 1),
    "feynman_i_6_2": ("exp(-x1**2/2)/sqrt(2*pi)", 1),
    "multiscale": ("exp(sin(pi*(x1**2 + x2**2)) + sin(pi*(x3**2 + x4**2)))", 4),
}


def _parse_ranges(ranges, n_var: int) -> Tensor:
    r = torch.as_tensor(ranges, dtype=torch.float64, device="cpu")  # host-side checks
    if r.shape == (2,):
        r = r.expand(n_var, 2)
    if r.shape != (n_var, 2):
        raise ValueError(f"ranges must be (lo, hi) or {n_var} such pairs, got {ranges!r}")
    if not bool(torch.isfinite(r).all()) or not bool((r[:, 0] < r[:, 1]).all()):
        raise ValueError(f"every range must be finite with lo < hi, got {r.tolist()}")
    return r


def create_dataset(f: Callable[[Tensor], Tensor], n_var: int = 2, ranges=(-1.0, 1.0),
                   train_num: int = 1000, test_num: int = 1000, seed: int = 0,
                   dtype=None, device=None) -> dict[str, Tensor]:
    """Uniform random inputs in ``ranges`` and labels ``f(inputs)``.

    Parameters
    ----------
    f
        maps ``(N, n_var)`` to ``(N, n_out)`` (or ``(N,)`` for one output).
    n_var
        number of input variables.
    ranges
        ``(lo, hi)`` for every variable, or one pair per variable.
    train_num, test_num
        sizes of the two splits (independent draws).
    seed
        seed of a private ``torch.Generator``; the global RNG is untouched.
    dtype, device
        of the returned tensors (torch's default dtype and device if None).

    Returns
    -------
    dict[str, Tensor]
        dict with ``train_input`` ``(train_num, n_var)``, ``train_label``
        ``(train_num, n_out)``, ``test_input``, ``test_label``.

    Examples
    --------
    >>> data = create_dataset(lambda x: x[:, :1] * x[:, 1:], n_var=2, train_num=8, test_num=4)
    >>> data["train_input"].shape, data["test_label"].shape
    (torch.Size([8, 2]), torch.Size([4, 1]))
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    n_var = check_int(n_var, "n_var", low=1)
    train_num = check_int(train_num, "train_num", low=1)
    test_num = check_int(test_num, "test_num", low=1)
    dtype = dtype or torch.get_default_dtype()
    if not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point dtype, got {dtype}")
    r = _parse_ranges(ranges, n_var).to(dtype)
    if not bool(torch.isfinite(r[:, 1] - r[:, 0]).all()):
        raise ValueError(f"ranges {r.tolist()} are too wide for {dtype} (hi - lo overflows)")
    if not bool((r[:, 1] > r[:, 0]).all()):
        raise ValueError(f"ranges {_parse_ranges(ranges, n_var).tolist()} are too narrow for "
                         f"{dtype}: lo and hi round to the same number; use float64 or "
                         "shift the inputs")
    generator = torch.Generator().manual_seed(seed)
    # Drawn on the CPU generator's device (the same numbers everywhere), then moved: to
    # torch's default device when none is given, as factory functions do.
    device = torch.get_default_device() if device is None else device
    out = {}
    for part, num in (("train", train_num), ("test", test_num)):
        u = torch.rand(num, n_var, generator=generator, dtype=dtype, device="cpu")
        x = (r[:, 0] + (r[:, 1] - r[:, 0]) * u).to(device)
        out[f"{part}_input"], out[f"{part}_label"] = x, label_inputs(f, x, dtype)
    return out


def label_inputs(f: Callable[[Tensor], Tensor], x: Tensor, dtype=None) -> Tensor:
    """``f(x)`` as ``(N, n_out)`` labels in ``dtype`` (``x``'s if None), checked: a tensor,
    real, one row per input row, finite (:func:`create_dataset`'s rules)."""
    num, n_var = x.shape
    dtype = dtype or x.dtype
    y = f(x)
    if not isinstance(y, Tensor):
        raise TypeError(f"f must return a torch.Tensor, got {type(y).__name__}")
    if y.is_complex():
        raise TypeError(f"f must return real labels, got dtype {y.dtype}")
    if y.dim() == 1:
        y = y.unsqueeze(1)
    if y.dim() != 2 or y.shape[0] != num or y.shape[1] == 0:
        raise ValueError(f"f must map ({num}, {n_var}) to ({num}, n_out) with n_out >= 1, "
                         f"got {tuple(y.shape)}")
    y = y.to(dtype)  # checked after the cast: float64 labels may overflow float32
    if not bool(torch.isfinite(y).all()):
        raise ValueError(f"f returned non-finite labels (NaN or inf in {dtype}) on the "
                         "sampled inputs; narrow the ranges")
    return y
