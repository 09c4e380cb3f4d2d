"""The workloads of the benchmark suite: layer sizes, batch, grid, who competes.

A workload is one row of the result tables.  ``FULL`` is the suite the issue
asks for; ``QUICK`` is a smoke-test subset meant to finish in under a minute
on an idle machine: small cases, no ``torch.compile``, and memory measured
for one case only (each measurement starts a fresh Python process).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

# Contestant names (see contestants.py for what each one builds).
KANLAB, DENSE, MLP = "kanlab", "dense", "mlp"
PYKAN, PYKAN_MODEL = "pykan", "pykan-model"
INKAN, INKAN_EAGER = "inkan", "inkan-eager"

ANCHORS = (PYKAN, INKAN, INKAN_EAGER)
ALL = (KANLAB, DENSE, MLP) + ANCHORS
# kanlab with the other edge bases (kanlab.nn._edge_bases), pure-PyTorch forward
BASES = ("kanlab-chebyshev", "kanlab-fourier", "kanlab-rbf")


@dataclass(frozen=True)
class Workload:
    """One benchmark case: a KAN of layer sizes ``width`` on a batch of inputs."""

    name: str                   # row label, e.g. "[784,64,10]" or "256→256"
    width: tuple[int, ...]      # layer sizes, [n_in, hidden..., n_out]
    batch: int                  # samples per forward pass
    grid: int = 5               # grid intervals G; the spline degree is always k = 3
    contestants: tuple[str, ...] = ALL
    timed: bool = True          # measure forward and forward+backward times
    memory: bool = True         # measure activation memory (one subprocess per contestant)

    @property
    def key(self) -> str:
        """A unique id, used in results.json."""
        return f"{self.name} b={self.batch} G={self.grid}" + ("" if self.timed else " (memory)")

    @property
    def is_layer(self) -> bool:
        """A single layer (kanlab.KANLayer) rather than a network (kanlab.KAN)."""
        return len(self.width) == 2

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "Workload":
        return cls(**{**d, "width": tuple(d["width"]), "contestants": tuple(d["contestants"])})


def _sweep(batches, grids, anchor_points, base=(KANLAB, DENSE, MLP)) -> list[Workload]:
    """One 256→256 layer over batch × G; the anchors only at ``anchor_points``."""
    return [Workload("256→256", (256, 256), b, g,
                     base + (ANCHORS if (b, g) in anchor_points else ()))
            for b in batches for g in grids]


FULL: list[Workload] = [
    Workload("[2,5,1]", (2, 5, 1), 1000, 5, ALL + (PYKAN_MODEL,) + BASES),
    Workload("[784,64,10]", (784, 64, 10), 512, 5, ALL + BASES),
    Workload("[1024,1024]", (1024, 1024), 1024),
    *_sweep((256, 1024, 4096, 16384), (5, 10, 20, 50), {(4096, 5), (4096, 50)}),
    # The memory target: activation memory of one layer vs an MLP layer.
    Workload("[1024,1024]", (1024, 1024), 4096, 5, timed=False),
]

# Only what the targets (targets.py) read, for a longer timing budget (run.py --targets):
# medians of many more samples than the full suite can afford on its slow rows.
TARGETS: list[Workload] = [
    *(Workload(name, width, batch, 5, (KANLAB, DENSE, PYKAN, INKAN, INKAN_EAGER), memory=False)
      for name, width, batch in (("[784,64,10]", (784, 64, 10), 512),
                                 ("[1024,1024]", (1024, 1024), 1024))),
    *(Workload("256→256", (256, 256), 4096, g, (KANLAB, DENSE), memory=False) for g in (5, 50)),
    Workload("[1024,1024]", (1024, 1024), 4096, 5, (KANLAB, MLP), timed=False),
]

QUICK: list[Workload] = [
    Workload("[2,5,1]", (2, 5, 1), 1000, 5,
             (KANLAB, DENSE, MLP, PYKAN, PYKAN_MODEL, INKAN_EAGER) + BASES, memory=False),
    Workload("[784,64,10]", (784, 64, 10), 512, 5, (KANLAB, DENSE, MLP, INKAN_EAGER), memory=False),
    *(Workload("256→256", (256, 256), 1024, g, (KANLAB, DENSE, MLP), memory=False) for g in (5, 50)),
    Workload("[784,64,10]", (784, 64, 10), 512, 5, (KANLAB, MLP), timed=False),
]
