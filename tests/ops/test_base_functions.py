"""The one base-function table (kanlab.ops._base_functions) and the C++ kernels that read it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from kanlab import KANLayer, config
from kanlab.ops import _extension as extension
from kanlab.ops import BASE_FUNCTIONS, resolve_base_fun
from kanlab.ops._base_functions import KERNEL_CODES, kernel_defines

CSRC = Path(extension.__file__).resolve().parent / "csrc"
F64 = torch.float64


def _cpp_constants() -> dict[str, str]:
    """``{"kSilu": "KANLAB_BASE_SILU", ...}`` from spline_eval.h's constexpr line."""
    text = (CSRC / "spline_eval.h").read_text()
    return dict(re.findall(r"(k[A-Z]\w*) = (KANLAB_BASE_\w+)", text))


def test_every_entry_reaches_the_kernels_by_its_macro():
    """Each table entry is a -D flag of the build and names one C++ constant; the C++
    side defines no code of its own."""
    constants = _cpp_constants()
    macros = {f"KANLAB_BASE_{name.upper()}" for name in BASE_FUNCTIONS}
    assert set(constants.values()) == macros
    assert all(flag in extension._FLAGS for flag in kernel_defines())
    sources = "".join(p.read_text() for p in sorted(CSRC.glob("*.[ch]*")))
    for const in constants:
        assert not re.search(rf"\b{const}\s*=\s*-?\d", sources), const


def test_cpp_switches_cover_the_table():
    """base_value and base_derivative have a case for every base function with a term."""
    text = (CSRC / "spline_eval.h").read_text()
    constants = {macro: const for const, macro in _cpp_constants().items()}
    for fn in ("base_value", "base_derivative"):
        body = text[text.index(f"inline T {fn}("):]
        body = body[:body.index("\n}\n")]
        for name, entry in BASE_FUNCTIONS.items():
            if entry.function is not None:
                assert f"case {constants[f'KANLAB_BASE_{name.upper()}']}:" in body, (fn, name)


@pytest.mark.parametrize("name", [n for n, b in BASE_FUNCTIONS.items() if b.function is not None])
def test_derivative_matches_autograd(name):
    """The table's derivative is the function's, by autograd (the oracle)."""
    entry = BASE_FUNCTIONS[name]
    x = torch.linspace(-4, 4, 101, dtype=F64, requires_grad=True)
    (expected,) = torch.autograd.grad(entry.function(x).sum(), x)
    torch.testing.assert_close(entry.derivative(x.detach()), expected, rtol=0, atol=1e-14)


def test_codes_and_names():
    assert "custom" not in KERNEL_CODES and KERNEL_CODES["zero"] == -1
    assert KERNEL_CODES == {name: b.code for name, b in BASE_FUNCTIONS.items()}
    assert len({b.code for b in BASE_FUNCTIONS.values()}) == len(BASE_FUNCTIONS)
    assert resolve_base_fun(None) == ("zero", None)
    assert resolve_base_fun("tanh") == ("tanh", torch.tanh)
    assert resolve_base_fun(torch.sin) == ("custom", torch.sin)
    with pytest.raises(ValueError, match="unknown base_fun"):
        resolve_base_fun("relu")
    with pytest.raises(TypeError, match="base_fun"):
        resolve_base_fun(3)


@pytest.mark.skipif(extension.ops() is None, reason="C++ kernels unavailable")
@pytest.mark.parametrize("name", [n for n, b in BASE_FUNCTIONS.items() if b.function is not None])
def test_kernels_compute_the_table_function(name, kanlab_config):
    """The kernels' features (base column first) equal the table's function and the
    pure-PyTorch features, values and input gradients."""
    layer = KANLayer(3, 2, grid=5, base_fun=name, dtype=F64,
                     generator=torch.Generator().manual_seed(0))
    x = torch.linspace(-2, 2, 30, dtype=F64).reshape(10, 3).requires_grad_(True)
    fast = layer.features(x)
    assert type(fast.grad_fn).__name__ == "FeaturesFunctionBackward"
    torch.testing.assert_close(fast[..., 0], BASE_FUNCTIONS[name].function(x), rtol=0, atol=1e-14)
    (g_fast,) = torch.autograd.grad(fast[..., 0].sum(), x)
    kanlab_config(kernels=False)
    torch.testing.assert_close(g_fast, BASE_FUNCTIONS[name].derivative(x.detach()),
                               rtol=0, atol=1e-13)
    torch.testing.assert_close(fast, layer.features(x), rtol=0, atol=1e-13)
    assert config.get().kernels is False
