"""A synthetic ``knot_data.csv`` for pykan's Example_14/15 notebooks (not the real data).

The notebooks read DeepMind's knot-theory data set (Davies et al., Nature 600, 70–74, 2021;
~240k hyperbolic knots), downloaded by hand, as ``./knot_data.csv``.  Nothing here downloads
data, so :func:`write_knot_csv` writes a stand-in with the same layout: an unnamed index column
(pandas reads it as ``Unnamed: 0``), the 17 invariants under DeepMind's column names, and
``signature`` last (Example_14 takes ``keys()[1:-1]`` as its 17 features and ``signature`` as
the label; Example_15 takes ``keys()[1:]``, the 18 columns).  The column order is the raw
file's as far as public code shows it (a user's note reads ``longitudinal_translation``,
``meridinal_translation_imag``, ``meridinal_translation_real`` as features 7, 8, 9); the names
are those of DeepMind's colab (``hyperbolic_*_torsion_degree``, ``Symmetry_*``).

**Synthetic, not the real data.** Each row is drawn so that the columns keep the relations the
paper and the KAN paper (Liu et al. 2024, section 4.3) rely on, with ranges of the same order:

* the cusp: meridian translation ``mu = c + i b`` (``meridinal_translation_real`` = c, signed
  shear; ``meridinal_translation_imag`` = b > 0), real ``longitudinal_translation`` = lam, and
  ``cusp_volume`` = lam * b / 2 (the cusp torus' area over two), lam drawn from the volume;
* ``signature`` = 2 * round((slope + e) / 4), slope = Re(lam / mu) = lam c / (c² + b²),
  e ~ N(0, 0.7): the even integer nearest to slope / 2, as DeepMind's theorem
  |2 signature - slope| <= C vol inj^-3 has it, with a constant error in place of the bound
  (0.7: the noiseless rule 2 round(slope / 4) then scores ~0.86, above what the notebook's fits
  reach, 0.66–0.72, so the error does not cap them; the most frequent class holds ~0.29);
* the rest (volume, Chern–Simons, injectivity radius, short geodesic, torsion degrees, a
  one-hot symmetry group) are drawn with plausible ranges and do not enter ``signature``,
  beyond volume's part in lam.  Example_15's contrastive fit can find the relations between
  columns: one symmetry group per knot, ``short_geodesic_real_part`` ~ 2 ``injectivity_radius``
  (a short geodesic is at least twice the injectivity radius), the cusp's and the slope's.

So a model that reads the data right ranks ``longitudinal_translation``,
``meridinal_translation_real`` and ``meridinal_translation_imag`` first (the KAN paper's three);
``cusp_volume`` carries lam * b, and may follow.  The rare symmetry groups (D3, D4, D6, D8: under
8 % of the rows each), standardized by the notebooks, lie 4–22 standard deviations out; a fit
may give such a column a large ``feature_score`` (pykan 0.2.8 ranked one first in each of four
draws of 50k rows).  The draws come from one
:class:`numpy.random.Generator` seeded by ``seed``: the same seed and ``rows`` write the same
file, byte for byte.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

__all__ = ["COLUMNS", "ROWS", "knot_table", "write_knot_csv"]

# The real file's 17 invariants, in its order; ``signature`` follows them.
COLUMNS = (
    "hyperbolic_adjoint_torsion_degree", "hyperbolic_torsion_degree",
    "short_geodesic_real_part", "short_geodesic_imag_part", "injectivity_radius",
    "chern_simons", "cusp_volume", "longitudinal_translation", "meridinal_translation_imag",
    "meridinal_translation_real", "volume", "Symmetry_0", "Symmetry_D3", "Symmetry_D4",
    "Symmetry_D6", "Symmetry_D8", "Symmetry_Z/2 + Z/2",
)
_INTEGER = {"hyperbolic_adjoint_torsion_degree", "hyperbolic_torsion_degree", "signature"}
_SYMMETRIES = COLUMNS[11:]
# one-hot symmetry group: most hyperbolic knots of the census have Z/2 + Z/2 or none
_SYMMETRY_P = (0.45, 0.02, 0.07, 0.008, 0.002, 0.45)

# Rows written by default, a fifth of the real set's: each notebook fits 100 L-BFGS steps with
# both accuracies over the whole set at every step.  At 50k, one thread (load average ~1.5):
# Example_14 28 s on kanlab.pykan, 47 s on pykan 0.2.8; Example_15 (twice the rows: the
# shuffled copies) 49 s and 136 s (docs/pykan_notebook_runs.md, knots).
ROWS = 50_000


def knot_table(rows: int = ROWS, seed: int = 0) -> dict[str, np.ndarray]:
    """The synthetic columns (17 invariants, then ``signature``), ``rows`` long each."""
    if not isinstance(rows, (int, np.integer)) or isinstance(rows, bool) or rows < 2:
        raise ValueError(f"rows must be an integer >= 2, got {rows!r}")
    rng = np.random.default_rng(seed)
    volume = 2.03 + rng.gamma(9.0, 2.3, rows)            # 2.03: the smallest knot volume
    inj = np.exp(rng.normal(np.log(0.35), 0.45, rows))   # injectivity radius
    b = np.exp(rng.normal(np.log(1.1), 0.2, rows))       # meridian's height, > 0
    c = b * rng.normal(0.0, 0.6, rows)                   # meridian's shear, signed
    lam = 2.0 * volume * rng.uniform(0.2, 0.45, rows) / b  # cusp area / b, the area from vol
    slope = lam * c / (c ** 2 + b ** 2)
    signature = 2 * np.round((slope + rng.normal(0.0, 0.7, rows)) / 4.0)
    torsion = 2 * np.round(volume / 3.0 + rng.normal(0.0, 1.5, rows))
    table = {
        "hyperbolic_adjoint_torsion_degree": torsion + 2 * rng.integers(0, 3, rows),
        "hyperbolic_torsion_degree": torsion,
        "short_geodesic_real_part": 2.0 * inj * (1.0 + np.abs(rng.normal(0.0, 0.05, rows))),
        "short_geodesic_imag_part": rng.uniform(-np.pi, np.pi, rows),
        "injectivity_radius": inj,
        "chern_simons": rng.uniform(-0.5, 0.5, rows),
        "cusp_volume": lam * b / 2.0,
        "longitudinal_translation": lam,
        "meridinal_translation_imag": b,
        "meridinal_translation_real": c,
        "volume": volume,
    }
    group = rng.choice(len(_SYMMETRIES), size=rows, p=_SYMMETRY_P)
    for i, name in enumerate(_SYMMETRIES):
        table[name] = (group == i).astype(float)
    table["signature"] = signature
    return {name: table[name].astype(int) if name in _INTEGER else table[name]
            for name in COLUMNS + ("signature",)}


def write_knot_csv(path, rows: int = ROWS, seed: int = 0) -> Path:
    """Write the synthetic table to ``path`` as pandas' ``to_csv`` would (index first, its
    header empty); returns the path."""
    table = knot_table(rows, seed)
    names = list(table)
    path = Path(path)
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow([""] + names)
        columns = [table[n].tolist() for n in names]
        for i, row in enumerate(zip(*columns)):
            out.writerow([i] + [repr(v) if isinstance(v, float) else v for v in row])
    return path
