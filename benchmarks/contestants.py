"""Build each contestant on a workload: a model, its inputs, its parameters.

Every contestant is float32 on the CPU and sees the same input ``x``, uniform
in ``[-1, 1]`` (the default grid range of all three KAN libraries):

- ``kanlab``      :class:`kanlab.KANLayer` (one layer) or :class:`kanlab.KAN`.
- ``dense``       the dense limit: per layer one bias-free ``nn.Linear`` from
                  ``in·(G+k)`` features to ``out``, applied to a basis tensor
                  ``(batch, in·(G+k))`` computed beforehand (Cox–de Boor),
                  so only the matmul is timed.
- ``mlp``         ``nn.Linear`` layers of the same widths, SiLU between them.
- ``pykan``       pykan 0.2.8's ``kan.KANLayer.KANLayer`` stacked (output ``[0]``).
- ``pykan-model`` pykan's full ``kan.KAN`` (``auto_save=False``, other defaults).
- ``inkan``       inkan 0.5.2 with its defaults (basis under ``torch.compile``).
- ``inkan-eager`` inkan with ``compile_basis=False``.

pykan and inkan are optional: building them raises :class:`Unavailable` when
the package is not importable.
"""
from __future__ import annotations

import importlib
import importlib.metadata
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from workloads import (BASES, DENSE, INKAN, INKAN_EAGER, KANLAB, MLP, PYKAN, PYKAN_MODEL,
                       Workload)

DTYPE = torch.float32
K = 3  # spline degree of every contestant

LABELS = {KANLAB: "kanlab", DENSE: "dense limit", MLP: "MLP", PYKAN: "pykan layer",
          PYKAN_MODEL: "pykan KAN", INKAN: "inkan", INKAN_EAGER: "inkan eager"}
LABELS.update({name: name.replace("-", " ") for name in BASES})

# pykan's layer builds several (batch, in, out) tensors; one forward+backward
# peaks at 5.4–6.4 of them (measured with benchmarks/memory.py on
# [784,64,10] b=512 and 256→256 b=1024); 8 leaves a margin.  A case needing
# more than half the available memory is skipped rather than risking the OOM killer.
PYKAN_TENSORS_AT_PEAK = 8


DISTRIBUTIONS = {"kan": "pykan"}  # module name -> name on PyPI, where they differ


class Unavailable(Exception):
    """The contestant's package cannot be imported."""


class TooBig(Exception):
    """The case would not fit in memory; skipped instead of risking the OOM killer."""


@dataclass
class Bench:
    """A model ready to run: ``model(*inputs)`` is the forward pass.

    ``inputs`` are leaves with ``requires_grad``, so the backward pass reaches
    them as well as every trainable parameter.
    """

    model: nn.Module
    inputs: list[Tensor]
    params: list[Tensor] = field(init=False)

    def __post_init__(self) -> None:
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        dtypes = {t.dtype for t in self.params + self.inputs}
        if dtypes != {DTYPE}:
            raise TypeError(f"every contestant runs in {DTYPE}, got tensors of {dtypes}")
        for t in self.inputs:
            t.requires_grad_(True)

    def forward(self) -> Tensor:
        """Inference: no autograd graph is recorded."""
        with torch.no_grad():
            return self.model(*self.inputs)

    def forward_backward(self) -> tuple[Tensor, ...]:
        """``loss = output.sum()``, gradients w.r.t. parameters and inputs (returned, not accumulated)."""
        loss = total(self.model(*self.inputs))
        return torch.autograd.grad(loss, self.params + self.inputs)


def total(out) -> Tensor:
    """``out.sum()``, or the sum over a list of outputs (the dense limit of a network)."""
    if isinstance(out, (list, tuple)):
        return sum(o.sum() for o in out)
    return out.sum()


def make_input(workload: Workload, seed: int = 0) -> Tensor:
    """``x : (batch, width[0])``, uniform in ``[-1, 1]``."""
    g = torch.Generator().manual_seed(seed)
    return torch.rand(workload.batch, workload.width[0], generator=g, dtype=DTYPE) * 2 - 1


def available(package: str) -> tuple[bool, str]:
    """``(True, version)`` if ``package`` imports, else ``(False, reason)``."""
    try:
        module = importlib.import_module(package)
    except Exception as exc:  # an optional anchor: any import failure means "skip it"
        return False, f"{type(exc).__name__}: {exc}"
    version = getattr(module, "__version__", None)
    if version is None:  # pykan's module ``kan`` has no __version__
        try:
            version = importlib.metadata.version(DISTRIBUTIONS.get(package, package))
        except importlib.metadata.PackageNotFoundError:
            version = "?"
    return True, version


def _import(package: str):
    ok, info = available(package)
    if not ok:
        raise Unavailable(f"{package} not importable ({info})")
    return importlib.import_module(package)


def _pairs(width) -> list[tuple[int, int]]:
    return list(zip(width[:-1], width[1:]))


# --------------------------------------------------------------------------- builders

def _kanlab_model(w: Workload, basis: str = "bspline") -> nn.Module:
    import kanlab
    import kanlab.ops._extension
    # Build (or load) the C++ kernels now: a first build takes about a minute,
    # which the timing's warm-up call would otherwise count as one slow call.
    kanlab.ops._extension.ops()
    if w.is_layer:
        return kanlab.KANLayer(*w.width, grid=w.grid, k=K, dtype=DTYPE, basis=basis,
                               generator=torch.Generator().manual_seed(0))
    return kanlab.KAN(list(w.width), grid=w.grid, k=K, seed=0, dtype=DTYPE, basis=basis)


def build_kanlab(w: Workload, x: Tensor) -> Bench:
    return Bench(_kanlab_model(w), [x])


def _kanlab_basis_builder(basis: str):
    def build_basis(w: Workload, x: Tensor) -> Bench:
        return Bench(_kanlab_model(w, basis), [x])
    return build_basis


class DenseLimit(nn.Module):
    """One bias-free ``nn.Linear(in·(G+k), out)`` per layer, each on its own basis tensor."""

    def __init__(self, width, n_basis: int) -> None:
        super().__init__()
        self.linears = nn.ModuleList(nn.Linear(i * n_basis, o, bias=False, dtype=DTYPE)
                                     for i, o in _pairs(width))

    def forward(self, *bases: Tensor) -> list[Tensor]:
        return [lin(b) for lin, b in zip(self.linears, bases)]  # each (batch, out_l)


def bspline_basis(x: Tensor, grid: int, k: int = K, lo: float = -1.0, hi: float = 1.0) -> Tensor:
    """Cox–de Boor B-splines on ``grid`` uniform intervals of ``[lo, hi]`` (k knots added each side).

    Args:
        x: ``(batch, n)``.

    Returns:
        ``(batch, n, grid + k)``; zero outside ``[lo, hi]``.
    """
    h = (hi - lo) / grid
    knots = lo + h * torch.arange(-k, grid + k + 1, dtype=x.dtype)  # (grid + 2k + 1,)
    x = x.unsqueeze(-1)  # (batch, n, 1)
    b = ((x >= knots[:-1]) & (x < knots[1:])).to(x.dtype)  # degree 0: (batch, n, grid + 2k)
    for d in range(1, k + 1):  # uniform knots: every denominator is d·h
        left = (x - knots[:-(d + 1)]) / (d * h) * b[..., :-1]
        right = (knots[d + 1:] - x) / (d * h) * b[..., 1:]
        b = left + right  # (batch, n, grid + 2k - d)
    return b


@torch.no_grad()
def dense_bases(w: Workload, x: Tensor) -> list[Tensor]:
    """A B-spline basis per layer, ``(batch, in_l·(G+k))`` each.

    Layer 0 sees ``x``; the hidden layers see a fixed uniform stand-in for
    their inputs (a dense matmul costs the same whatever the values), which
    keeps this contestant independent of kanlab's internals.
    """
    inputs = [x] + [torch.rand(x.shape[0], n, generator=torch.Generator().manual_seed(l),
                               dtype=DTYPE) * 2 - 1
                    for l, n in enumerate(w.width[1:-1], start=1)]
    return [bspline_basis(inp, w.grid).reshape(x.shape[0], -1).contiguous()  # (B, in·(G+k))
            for inp in inputs]


def build_dense(w: Workload, x: Tensor) -> Bench:
    return Bench(DenseLimit(w.width, w.grid + K), dense_bases(w, x))


def build_mlp(w: Workload, x: Tensor) -> Bench:
    torch.manual_seed(0)
    mods: list[nn.Module] = []
    for i, o in _pairs(w.width):
        mods += [nn.Linear(i, o, dtype=DTYPE), nn.SiLU()]
    return Bench(nn.Sequential(*mods[:-1]), [x])  # no activation after the last layer


class PykanLayers(nn.Module):
    """pykan's ``KANLayer`` stacked; each returns ``(y, preacts, postacts, postspline)``."""

    def __init__(self, layers) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)[0]
        return x


def _check_pykan_fits(w: Workload) -> None:
    per_tensor = w.batch * max(i * o for i, o in _pairs(w.width)) * 4
    need = PYKAN_TENSORS_AT_PEAK * per_tensor
    limit = available_memory() // 2
    if need > limit:
        raise TooBig(f"pykan needs ~{need / 2**30:.0f} GiB ({PYKAN_TENSORS_AT_PEAK} tensors of "
                     f"batch·in·out floats), over half the {2 * limit / 2**30:.0f} GiB available")


def build_pykan(w: Workload, x: Tensor) -> Bench:
    _import("kan")
    _check_pykan_fits(w)
    from kan.KANLayer import KANLayer
    with torch.random.fork_rng():  # pykan draws from the global RNG
        torch.manual_seed(0)
        layers = [KANLayer(in_dim=i, out_dim=o, num=w.grid, k=K) for i, o in _pairs(w.width)]
    return Bench(PykanLayers(layers), [x])


def build_pykan_model(w: Workload, x: Tensor) -> Bench:
    kan = _import("kan")
    _check_pykan_fits(w)
    with torch.random.fork_rng():  # kan.KAN seeds the global RNG
        model = kan.KAN(width=list(w.width), grid=w.grid, k=K, seed=0, auto_save=False)
    return Bench(model, [x])


def _build_inkan(w: Workload, x: Tensor, compile_basis: bool) -> Bench:
    inkan = _import("inkan")
    if compile_basis:
        # inkan compiles one global basis function; every shape and grad mode is
        # a recompile, and past dynamo's default limit of 8 it silently runs eager.
        torch._dynamo.config.recompile_limit = 256
    with torch.random.fork_rng():
        torch.manual_seed(0)
        if w.is_layer:
            model = inkan.KANLayer(*w.width, grid_size=w.grid, spline_order=K,
                                   compile_basis=compile_basis)
        else:
            model = inkan.KANNetwork(list(w.width), grid_size=w.grid, spline_order=K,
                                     compile_basis=compile_basis)
    return Bench(model, [x])


def build_inkan(w: Workload, x: Tensor) -> Bench:
    return _build_inkan(w, x, compile_basis=True)


def build_inkan_eager(w: Workload, x: Tensor) -> Bench:
    return _build_inkan(w, x, compile_basis=False)


BUILDERS = {KANLAB: build_kanlab, DENSE: build_dense, MLP: build_mlp, PYKAN: build_pykan,
            PYKAN_MODEL: build_pykan_model, INKAN: build_inkan, INKAN_EAGER: build_inkan_eager}
BUILDERS.update({name: _kanlab_basis_builder(name.removeprefix("kanlab-")) for name in BASES})

# Contestants whose first calls compile code; they get extra warm-up calls.
COMPILED = {INKAN}


def build(name: str, w: Workload, x: Tensor | None = None) -> Bench:
    """The contestant ``name`` on workload ``w`` (input ``x`` made fresh if not given)."""
    x = make_input(w) if x is None else x.detach().clone()
    return BUILDERS[name](w, x)


def available_memory() -> int:
    """Bytes of memory available to new allocations (MemAvailable on Linux)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import os
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
